/*
 * C reference for `npm run bench`: one long-only sma-cross backtest with the engine's execution semantics
 * (docs/engine.md), as a plain loop, to put the engine's speed next to what the machine can do.
 *
 *  - averages compared exactly: closes as integer tick counts (close * scale, rounded), window sums of ticks, the
 *    cross decided on sumFast * slow - sumSlow * fast (the engine's exact path, engine/strategies/sma-cross-kernel.ts);
 *  - strict cross: the sign goes from < 0 on the previous bar to > 0 on this one (a tie is no cross), both defined;
 *  - the signal at bar t's close fills at bar t + 1's open; an up-cross buys when flat, a down-cross sells;
 *  - all-in sizing, fractional units: units = cash / (fill * (1 + commission)); commission on entry and exit;
 *  - equity cash + units * close marked at every close, with its running peak and maximum drawdown;
 *  - a position open at the end is closed at the last close.
 * It does less than the engine (no per-day equity, no downsampled curve, no trade records beyond a count, no stats),
 * so the ratio engine / C is, if anything, flattering to C.
 *
 * Usage: sma-cross <bars.f64> <n> <fast> <slow> <scale> <commission> <cash> <repeats>
 * The file holds n opens then n closes as little-endian doubles. Prints one JSON line.
 * Build: cc -O3 -ffp-contract=off (no fused multiply-add, so every product rounds as it does in JavaScript).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The thread's CPU time, like the engine's figure in the bench (main-thread CPU): a loaded machine stretches wall time
 * by other processes' turns, which would flatter whichever side happened to run in a quieter moment. */
static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct {
  long trades;
  double equity_final, peak, max_drawdown;
} result_t;

static result_t run(const double *open, const double *close, long n, int fast, int slow, double scale, double comm, double cash0) {
  const double TO_INTEGER = 1.5 * 4503599627370496.0; /* 1.5 * 2^52 */
  double cash = cash0, units = 0, sa = 0, sb = 0, d0 = NAN, peak = -INFINITY, maxdd = 0;
  int side = 0, pending = 0; /* pending: 0 none, 1 buy, -1 sell at the next open */
  long trades = 0;
  for (long t = 0; t < n; t++) {
    if (pending != 0) {
      double fill = open[t];
      if (pending == 1 && side == 0) {
        double u = cash / (fill * (1 + comm));
        if (u > 0) {
          double value = u * fill;
          cash -= value + value * comm;
          units = u;
          side = 1;
        }
      } else if (pending == -1 && side == 1) {
        double value = units * fill;
        cash += value - value * comm;
        units = 0;
        side = 0;
        trades++;
      }
      pending = 0;
    }
    double c = close[t] * scale + TO_INTEGER - TO_INTEGER;
    sa += t >= fast ? c - (close[t - fast] * scale + TO_INTEGER - TO_INTEGER) : c;
    sb += t >= slow ? c - (close[t - slow] * scale + TO_INTEGER - TO_INTEGER) : c;
    double d1 = t >= slow - 1 ? sa * slow - sb * fast : NAN;
    if (d0 * d1 < 0 && t + 1 < n) pending = d1 > 0 ? 1 : -1;
    d0 = d1;
    if (t == n - 1 && side == 1) {
      double value = units * close[t];
      cash += value - value * comm;
      units = 0;
      side = 0;
      trades++;
    }
    double e = cash + units * close[t];
    if (e > peak) peak = e;
    else if (1 - e / peak > maxdd) maxdd = 1 - e / peak;
  }
  result_t r = {trades, cash, peak, maxdd};
  return r;
}

int main(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: %s <bars.f64> <n> <fast> <slow> <scale> <commission> <cash> <repeats>\n", argv[0]);
    return 2;
  }
  long n = atol(argv[2]);
  int fast = atoi(argv[3]), slow = atoi(argv[4]), repeats = atoi(argv[8]);
  double scale = atof(argv[5]), comm = atof(argv[6]), cash = atof(argv[7]);
  double *data = malloc(sizeof(double) * 2 * n);
  FILE *f = fopen(argv[1], "rb");
  if (!f || !data || fread(data, sizeof(double), 2 * n, f) != (size_t)(2 * n)) {
    fprintf(stderr, "cannot read %ld bars from %s\n", n, argv[1]);
    return 1;
  }
  fclose(f);
  double *times = malloc(sizeof(double) * repeats);
  result_t r = run(data, data + n, n, fast, slow, scale, comm, cash); /* warm-up: page in the data */
  for (int i = 0; i < repeats; i++) {
    double t0 = now_ms();
    r = run(data, data + n, n, fast, slow, scale, comm, cash);
    times[i] = now_ms() - t0;
  }
  qsort(times, repeats, sizeof(double), cmp);
  printf("{\"trades\":%ld,\"equityFinal\":%.17g,\"peak\":%.17g,\"maxDrawdown\":%.17g,\"bestMs\":%.3f,\"medianMs\":%.3f}\n", r.trades, r.equity_final, r.peak,
         r.max_drawdown, times[0], times[repeats / 2]);
  return 0;
}
