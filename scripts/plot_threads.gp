# plot_threads.gp: one kernel's speedup against threads, a panel per shape, a line per variant
# (each variant in the same color in every chart), beside the ideal line (speedup = threads).
# What bench_all's threads_<kernel>.png/.svg show. Reads threads_<kernel>_<i>.dat, written by
# bench/report.c: one block per variant, headed "threads <variant>", rows "threads speedup".
# Run: gnuplot -e "dir='results/X'; kernel='matmul'; panels=2; shape1='100x784x100';
#      colors1='#1f77b4 #d62728'; shape2=...; colors2=..." scripts/plot_threads.gp
file(i) = sprintf("%s/threads_%s_%d.dat", dir, kernel, i)
maxt = 1
do for [i=1:panels] {
    stats file(i) using 1 nooutput
    if (STATS_max > maxt) { maxt = STATS_max }
}
cols = panels < 3 ? panels : 3
rows = (panels + cols - 1) / cols

set xlabel "threads"
set ylabel "speedup over 1 thread"
set xrange [1:maxt]
set yrange [0:maxt * 1.25]
set xtics 1
if (maxt > 16) { set xtics autofreq }
set grid
set key top left opaque samplen 2 font ",8"

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 420 * cols, 75 + 330 * rows font "sans,9" noenhanced }
    if (fmt eq "svg") { set terminal svg size 420 * cols, 75 + 330 * rows font "sans,9" noenhanced }
    set output sprintf("%s/threads_%s.%s", dir, kernel, fmt)
    set multiplot layout rows, cols title sprintf("%s: speedup against threads\npinned one per core; dashed: ideal", kernel)
    do for [i=1:panels] {
        set title value(sprintf("shape%d", i))
        colors = value(sprintf("colors%d", i))
        stats file(i) using 1 nooutput
        plot x with lines dashtype 2 lc rgb "black" notitle, \
             for [b=0:STATS_blocks-1] file(i) index b using 1:2 with linespoints pt 7 ps 0.6 lw 2 \
                 lc rgb word(colors, b + 1) title columnheader(2)
    }
    unset multiplot
    unset output
}
