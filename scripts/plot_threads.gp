# plot_threads.gp: one kernel's speedup against threads, one line per variant and shape, beside
# the ideal (linear) line; what bench_all's threads_<kernel>.png/.svg show. Reads
# threads_<kernel>.dat, written by bench/report.c (blocks "threads speedup", each titled).
# Run: gnuplot -e "dir='results/X'; kernel='matmul'" scripts/plot_threads.gp
data = sprintf("%s/threads_%s.dat", dir, kernel)
stats data using 1 nooutput
blocks = STATS_blocks
maxt = STATS_max

set title sprintf("%s: speedup against threads (threads pinned, one per core)", kernel)
set xlabel "threads"
set ylabel "speedup over the same variant at 1 thread"
set xrange [1:maxt]
set yrange [0:maxt * 1.1]
set xtics 1
if (maxt > 16) { set xtics autofreq }
set grid
set key top left box opaque

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 900,560 font "sans,10" noenhanced }
    if (fmt eq "svg") { set terminal svg size 900,560 font "sans,10" noenhanced }
    set output sprintf("%s/threads_%s.%s", dir, kernel, fmt)
    plot x with lines dashtype 2 lc rgb "black" title "ideal (speedup = threads)", \
         for [i=0:blocks-1] data index i using 1:2 with linespoints pt 7 lw 2 title columnheader(2)
    unset output
}
