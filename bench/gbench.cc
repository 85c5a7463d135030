// gbench.cc: the C API of gbench.h over Google Benchmark; the only C++ in mlpbench.
//
// Every benchmark is registered with UseRealTime (OpenMP work runs on threads other than the
// caller's, so the caller's CPU time means nothing) and gets its counters from what it was
// registered with. A reporter wrapped around Google Benchmark's console reporter adds each
// finished repetition to its benchmark's mlpb_record, hands the record to the caller's sink at
// once (so that an interrupted run keeps it), and prints progress on stderr.
#include "gbench.h"

#include <benchmark/benchmark.h>
#include <regex.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Entry {
  std::string name;
  mlpb_gb_fn fn;
  void *arg;
  double units, flops, bytes;
  std::string unit;
  bool selected;  // by Google Benchmark's filter: what the progress counts
};

std::vector<Entry> entries;
// In the order the benchmarks were registered, whatever order their repetitions run in.
std::vector<mlpb_record> records;
std::vector<std::vector<double>> record_reps;  // every repetition, beside the records' first 64
std::vector<size_t> record_entry;              // the index in entries of each record
bool interleaved = false;  // --benchmark_enable_random_interleaving, as given to mlpb_gb_init
volatile std::sig_atomic_t stop_flag = 0;

benchmark::State &state_of(mlpb_gb_state *st) { return *reinterpret_cast<benchmark::State *>(st); }

const Entry *entry_named(const std::string &name) {
  for (const Entry &e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

// kernel, variant, shape and threads out of "<kernel>/<variant>/<shape>/threads:<n>".
void split_name(mlpb_record *r) {
  std::string n = r->name;
  size_t a = n.find('/'), b = a == std::string::npos ? a : n.find('/', a + 1);
  size_t t = n.rfind("/threads:");
  if (b == std::string::npos || t == std::string::npos || t < b) return;
  std::snprintf(r->kernel, sizeof r->kernel, "%s", n.substr(0, a).c_str());
  std::snprintf(r->variant, sizeof r->variant, "%s", n.substr(a + 1, b - a - 1).c_str());
  std::snprintf(r->shape, sizeof r->shape, "%s", n.substr(b + 1, t - b - 1).c_str());
  r->threads = std::atoi(n.c_str() + t + 9);
}

// Median, mean, sample standard deviation (as Google Benchmark's), min and CV of the reps.
void summarize(mlpb_record *r, std::vector<double> reps) {
  const size_t n = reps.size();
  r->reps = (int)n;
  for (size_t i = 0; i < n && i < MLPB_MAX_REPS; i++) r->rep_ns[i] = reps[i];
  double sum = 0;
  for (double v : reps) sum += v;
  r->mean_ns = sum / n;
  double ss = 0;
  for (double v : reps) ss += (v - r->mean_ns) * (v - r->mean_ns);
  r->stddev_ns = n > 1 ? std::sqrt(ss / (n - 1)) : 0.0;
  r->cv = r->mean_ns > 0 ? r->stddev_ns / r->mean_ns : 0.0;
  std::sort(reps.begin(), reps.end());
  r->min_ns = reps[0];
  r->median_ns = n % 2 ? reps[n / 2] : 0.5 * (reps[n / 2 - 1] + reps[n / 2]);
}

std::string human(double seconds) {
  char buf[32];
  if (seconds < 90) std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  else if (seconds < 5400) std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
  else std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
  return buf;
}

class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  RecordingReporter(int total, mlpb_gb_sink sink, void *ctx)
      : total_(total), sink_(sink), ctx_(ctx), start_(std::chrono::steady_clock::now()) {}

  void ReportRuns(const std::vector<Run> &runs) override {
    ConsoleReporter::ReportRuns(runs);
    std::string name;
    std::vector<double> reps;
    double iterations = 0;
    std::string error, label;
    int64_t expected = 1;
    for (const Run &run : runs) {
      if (run.run_type != Run::RT_Iteration) continue;
      name = run.run_name.function_name;
      expected = run.repetitions;
      label = run.report_label;
      if (run.error_occurred) error = run.error_message;
      else if (run.iterations > 0) {
        reps.push_back(1e9 * run.real_accumulated_time / run.iterations);
        iterations += (double)run.iterations;
      }
    }
    const Entry *e = entry_named(name);
    if (!e) return;
    int done_reps = (int)reps.size();
    if (!reps.empty()) done_reps = add_reps(e, reps, iterations, label);
    if (!error.empty() || done_reps >= expected) {
      done_++;
      progress(name, error, interleaved ? expected : 1);
    }
  }

 private:
  // Adds reps to the record of e, which is made, in registration order, with the first of
  // them (interleaved, they may come in several groups); returns how many it holds.
  int add_reps(const Entry *e, const std::vector<double> &reps, double iterations,
               const std::string &label) {
    const size_t index = (size_t)(e - entries.data());
    size_t i = 0;
    while (i < records.size() && record_entry[i] < index) i++;
    if (i == records.size() || record_entry[i] != index) {
      mlpb_record r{};
      std::snprintf(r.name, sizeof r.name, "%s", e->name.c_str());
      std::snprintf(r.unit, sizeof r.unit, "%s", e->unit.c_str());
      split_name(&r);
      r.flops = e->flops;
      r.bytes = e->bytes;
      records.insert(records.begin() + (long)i, r);
      record_reps.emplace(record_reps.begin() + (long)i);
      record_entry.insert(record_entry.begin() + (long)i, index);
    }
    for (double v : reps) record_reps[i].push_back(v / e->units);
    records[i].measured_units += iterations * e->units;
    summarize(&records[i], record_reps[i]);
    std::snprintf(records[i].label, sizeof records[i].label, "%s", label.c_str());
    if (sink_) sink_(&records[i], ctx_);
    return (int)record_reps[i].size();
  }

  // Time left from the share of benchmarks done. Back to back (spread = 1), that share grows
  // with the run. Interleaved at random, a benchmark is done only when the last of its `spread`
  // repetitions has run: after a share f of the run, f^spread of them are, so f is the
  // spread-th root of the share done.
  void progress(const std::string &name, const std::string &error, int64_t spread) {
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double f = std::pow((double)done_ / total_, 1.0 / (double)(spread > 0 ? spread : 1));
    double left = done_ < total_ ? elapsed / f - elapsed : 0.0;
    std::fprintf(stderr, "[bench %d/%d] %s %s; %s elapsed, about %s left\n", done_, total_,
                 name.c_str(), error.empty() ? "done" : ("FAILED: " + error).c_str(),
                 human(elapsed).c_str(), human(left).c_str());
  }

  int total_, done_ = 0;
  mlpb_gb_sink sink_;
  void *ctx_;
  std::chrono::steady_clock::time_point start_;
};

// Which names Google Benchmark's --benchmark_filter selects, as it decides: "", "." and "all"
// select everything, a leading '-' negates, otherwise an extended regex searched in the name.
void mark_selected() {
  std::string filter = benchmark::GetBenchmarkFilter();
  bool negate = !filter.empty() && filter[0] == '-';
  if (negate) filter.erase(0, 1);
  regex_t re;
  bool all = filter.empty() || filter == "." || filter == "all";
  bool ok = !all && regcomp(&re, filter.c_str(), REG_EXTENDED | REG_NOSUB) == 0;
  for (Entry &e : entries) {
    bool match = all || (ok && regexec(&re, e.name.c_str(), 0, nullptr, 0) == 0);
    e.selected = match != negate;
  }
  if (ok) regfree(&re);
}

}  // namespace

extern "C" {

// Google Benchmark keeps its flags to itself, so the progress estimate reads this one here, as
// Google Benchmark parses it: the last one given wins, and any value but a false one is true.
void mlpb_gb_init(int *argc, char **argv) {
  const char flag[] = "--benchmark_enable_random_interleaving";
  for (int i = 1; i < *argc; i++) {
    if (std::strncmp(argv[i], flag, sizeof flag - 1) != 0) continue;
    const char *v = argv[i] + sizeof flag - 1;
    if (*v == '=') v++;
    else if (*v) continue;
    interleaved = true;
    for (const char *no : {"0", "f", "false", "n", "no", "off", "F", "FALSE", "N", "NO", "OFF",
                           "False", "No", "Off"})
      if (std::strcmp(v, no) == 0) interleaved = false;
  }
  benchmark::Initialize(argc, argv);
}

void mlpb_gb_register(const char *name, mlpb_gb_fn fn, void *arg, double units, const char *unit,
                      double flops, double bytes) {
  entries.push_back(Entry{name, fn, arg, units > 0 ? units : 1.0, flops, bytes, unit, true});
  const Entry e = entries.back();
  benchmark::RegisterBenchmark(e.name.c_str(), [e](benchmark::State &st) {
    if (stop_flag) {
      // Into the loop first: a run skipped once started counts the iterations of the
      // repetition, which Google Benchmark checks against the repetitions already measured.
      st.KeepRunning();
      st.SkipWithError("skipped: the run was interrupted");
      return;
    }
    e.fn(reinterpret_cast<mlpb_gb_state *>(&st), e.arg);
    if (st.error_occurred()) return;
    using C = benchmark::Counter;
    if (e.flops > 0) st.counters["FLOP/s"] = C(e.flops * e.units, C::kIsIterationInvariantRate);
    if (e.bytes > 0) st.counters["bytes/s"] = C(e.bytes * e.units, C::kIsIterationInvariantRate);
    if (!e.unit.empty())
      st.counters["s/" + e.unit] = C(e.units, C::kIsIterationInvariantRate | C::kInvert);
  })->UseRealTime();
}

int mlpb_gb_keep_running(mlpb_gb_state *st) {
  benchmark::State &s = state_of(st);
  if (stop_flag && !s.error_occurred()) s.SkipWithError("interrupted");
  return s.KeepRunning();
}

void mlpb_gb_label(mlpb_gb_state *st, const char *label) { state_of(st).SetLabel(label); }

void mlpb_gb_skip(mlpb_gb_state *st, const char *message) { state_of(st).SkipWithError(message); }

int mlpb_gb_run(const mlpb_record **recs, mlpb_gb_sink sink, void *ctx) {
  mark_selected();
  int total = 0;
  for (const Entry &e : entries) total += e.selected;
  RecordingReporter reporter(total, sink, ctx);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  *recs = records.data();
  return (int)records.size();
}

int mlpb_gb_records(const mlpb_record **recs) {
  *recs = records.data();
  return (int)records.size();
}

void mlpb_gb_request_stop(void) { stop_flag = 1; }
int mlpb_gb_stop_requested(void) { return stop_flag != 0; }

void mlpb_gb_shutdown(void) {
  benchmark::Shutdown();
  records.clear();
  record_reps.clear();
  record_entry.clear();
  entries.clear();
}

}  // extern "C"
