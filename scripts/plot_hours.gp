# plot_hours.gp: hours vs seconds, the time of the blog's 10,000 training iterations per gradient
# method and variant, as horizontal bars on a log scale of seconds, in the table's order from the
# top. Each bar's text says whether it was measured or projected; run-through bars are blue,
# projected ones orange, the blog's own figures gray, after the row's source column.
# Reads hours.csv (label,seconds_10000,text,source), written by bench/report.c.
# Run: gnuplot -e "dir='results/X'" scripts/plot_hours.gp
set datafile separator comma
data = dir . "/hours.csv"
stats data using 2 skip 1 nooutput
rows = STATS_records
left = STATS_min / 10

set title "Training time for the blog's 10,000 iterations (log scale)\n" . \
          "blue: run through here; orange: projected from what was measured; gray: the blog's figures"
set logscale x
# the text of the longest bar runs on into a wide right margin
set xrange [left : STATS_max * 3]
set rmargin 50
set yrange [-0.7 : rows - 0.3]
set xtics ("1 ms" 1e-3, "1 s" 1, "1 min" 60, "1 h" 3600, "1 day" 86400, "1 month" 2.63e6, \
           "1 year" 3.156e7, "100 years" 3.156e9)
set ytics nomirror
set grid xtics
set key off
set style fill solid 0.7 border -1
# (the source, not the label: gnuplot 5.4's strcol cuts a quoted first column at its comma)
color(source) = strstrt(source, "blog") > 0 ? 0x999999 : \
                strstrt(source, "projected") > 0 ? 0xdd8452 : 0x4c72b0
top(i) = rows - 1 - i

do for [fmt in "png svg"] {
    if (fmt eq "png") { set terminal pngcairo size 1200,120 + 45 * rows font "sans,10" noenhanced }
    if (fmt eq "svg") { set terminal svg size 1200,120 + 45 * rows font "sans,10" noenhanced }
    set output sprintf("%s/hours_vs_seconds.%s", dir, fmt)
    plot data using 2:(top($0)):(left):2:(top($0) - 0.35):(top($0) + 0.35): \
             (color(strcol(4))):ytic(1) skip 1 \
             with boxxyerror lc rgb variable, \
         "" using 2:(top($0)):3 skip 1 with labels left offset 1,0 font "sans,9"
    unset output
}
