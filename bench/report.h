/* report.h: the reporting half of bench_all. From measured records it writes, into a folder the
 * caller made fresh, the tables (kernels.md/.csv, threads.csv, hours_vs_seconds.md), the charts
 * (gnuplot, PNG and SVG), machine.md and REPORT.md. The measuring half passes nothing else. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "bench_record.h"

/* Write every report file into dir, which must exist; nothing outside dir is touched.
 * recs: the measured benchmarks, named "<kernel>/<variant>/<shape>/threads:<n>".
 * train: the hours-vs-seconds rows (measured or projected training runs).
 * m: the machine. with_charts: draw the charts too (gnuplot), else only the tables.
 * Also read from dir when present: loss.csv and loss_numerical.csv ("iteration,loss" of the
 * backprop and numerical training runs) for the loss chart, numpy.json (scripts/numpy_seed.py
 * --json) for the NumPy rows, and a file named INCOMPLETE (the run was interrupted) so that
 * REPORT.md says so.
 * A missing gnuplot or a failing chart is reported on stderr and in REPORT.md, not an error.
 * Returns 0, or -1 with a one-line message in err (e.g. a file that could not be written). */
int mlpb_write_reports(const char *dir, const mlpb_record *recs, int n_recs,
                       const mlpb_training *train, int n_train, const mlpb_machine *m,
                       bool with_charts, char *err, size_t errlen);

#endif
