# plot_loss.gp: the training loss curve like the blog's (iterations on x, cross-entropy of the
# batch after its update on y): the backprop run (loss.csv) and, when numerical=1, the
# numerical-gradient run of the same seed (loss_numerical.csv) over it: the two gradients train
# the same network, so the curves should lie on each other. Both files are bench_all's
# "iteration,loss" CSVs in dir.
# Run: gnuplot -e "dir='results/X'; numerical=0" scripts/plot_loss.gp
set datafile separator comma
set title "Training loss, batch of 100 after each update (the blog's run)"
set xlabel "iteration"
set ylabel "cross-entropy loss"
set yrange [0:*]
set grid
set key top right box opaque

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 900,520 font "sans,10" noenhanced }
    if (fmt eq "svg") { set terminal svg size 900,520 font "sans,10" noenhanced }
    set output sprintf("%s/loss.%s", dir, fmt)
    if (numerical) {
        plot dir."/loss.csv" using 1:2 skip 1 with lines lw 1 lc rgb "#1f77b4" title "backprop", \
             dir."/loss_numerical.csv" using 1:2 skip 1 with lines lw 1 dt 2 lc rgb "#dd8452" \
             title "numerical gradient"
    } else {
        plot dir."/loss.csv" using 1:2 skip 1 with lines lw 1 lc rgb "#1f77b4" title "backprop"
    }
    unset output
}
