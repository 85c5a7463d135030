# plot_loss.gp: the backprop training run's loss curve (iterations on x, cross-entropy of the
# batch after the update on y), like the blog's. Reads the "iteration,loss" CSV bench_all writes.
# Run: gnuplot -e "dir='results/X'; loss='results/X/loss.csv'" scripts/plot_loss.gp
set datafile separator comma
set title "backprop training: loss of each batch after its update"
set xlabel "iteration"
set ylabel "cross-entropy loss"
set yrange [0:*]
set grid
set key off

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 900,520 font "sans,10" noenhanced }
    if (fmt eq "svg") { set terminal svg size 900,520 font "sans,10" noenhanced }
    set output sprintf("%s/loss.%s", dir, fmt)
    plot loss using 1:2 skip 1 with lines lw 1 lc rgb "#1f77b4"
    unset output
}
