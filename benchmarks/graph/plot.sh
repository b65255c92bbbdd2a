#!/bin/sh
# plot.sh CSV PNG - from graph_bench CSV rows, draw million directed edges
# inserted per second per system (left) and the build time ratio to malloc
# (right), one group of bars per (scale, ranks). Repeated runs: the best
# (smallest) build time counts. Needs gnuplot.
set -eu
csv=$1
png=$2
dat=${png%.png}.dat
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found" >&2; exit 2; }

# dat: label, then Medges/s and ratio for metall malloc pmemobj bip ("?" = none)
awk -F, '
$1 == "system" { next }
$8 != 1 { next }                       # unverified runs are not plotted
{
    key = "s" $3 " np" $2
    if (!(key in seen)) { seen[key] = 1; order[n++] = key }
    k = key SUBSEP $1
    if (!(k in best) || $5 < best[k]) { best[k] = $5; edges[k] = $4 }
}
END {
    split("metall malloc pmemobj bip", sys, " ")
    print "# group metall_Meps malloc_Meps pmemobj_Meps bip_Meps metall_ratio malloc_ratio pmemobj_ratio bip_ratio"
    for (i = 0; i < n; i++) {
        line = "\"" order[i] "\""
        m = order[i] SUBSEP "malloc"
        for (j = 1; j <= 4; j++) {
            k = order[i] SUBSEP sys[j]
            line = line " " ((k in best) && best[k] > 0 ? sprintf("%.3f", edges[k] / best[k] / 1e6) : "?")
        }
        for (j = 1; j <= 4; j++) {
            k = order[i] SUBSEP sys[j]
            line = line " " ((k in best) && (m in best) && best[m] > 0 ? sprintf("%.3f", best[k] / best[m]) : "?")
        }
        print line
    }
}' "$csv" >"$dat"

gnuplot <<GP
set terminal pngcairo size 1400,520 font "sans,10" noenhanced
set output "$png"
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set grid ytics
set yrange [0:*]
set multiplot layout 1,2 title "graph_bench: R-MAT adjacency list built per rank (groups: scale, ranks)"
set title "build rate (higher is better)"
set ylabel "million directed edges / s"
plot "$dat" using 2:xtic(1) title "metall-c", "" using 3 title "malloc", \
     "" using 4 title "pmemobj", "" using 5 title "bip"
set title "build time / malloc build time (lower is better)"
set ylabel "ratio"
plot "$dat" using 6:xtic(1) title "metall-c", "" using 7 title "malloc", \
     "" using 8 title "pmemobj", "" using 9 title "bip", 1 notitle lc rgb "black" dt 2
unset multiplot
GP
