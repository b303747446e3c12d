/** Largest number of points in a returned equity curve. */
export const MAX_CURVE_POINTS = 500;

/**
 * Min/max downsampling: the first and last points, plus the lowest and the highest point of each of 249 equal index
 * buckets in between (in time order). Peaks and troughs survive, so the stored curve shows the real drawdowns.
 */
export class CurveSampler {
  private readonly time: Float64Array;
  private readonly equity: Float64Array;
  private readonly n: number;
  private readonly bucket: number;
  private readonly outTime: number[] = [];
  private readonly outEquity: number[] = [];
  private bucketEnd = 0;
  private minI = -1;
  private maxI = -1;

  constructor(time: Float64Array, equity: Float64Array, n: number) {
    this.time = time;
    this.equity = equity;
    this.n = n;
    const buckets = (MAX_CURVE_POINTS - 2) / 2;
    this.bucket = n <= MAX_CURVE_POINTS ? 1 : Math.ceil((n - 2) / buckets);
    this.bucketEnd = 1 + this.bucket;
  }

  private add(i: number): void {
    this.outTime.push(this.time[i]);
    this.outEquity.push(this.equity[i]);
  }

  step(from: number, to: number): void {
    const { equity, n } = this;
    if (n <= MAX_CURVE_POINTS) {
      for (let i = from; i < to; i++) this.add(i);
      return;
    }
    let bucketEnd = this.bucketEnd;
    let minI = this.minI;
    let maxI = this.maxI;
    let lo = minI < 0 ? 0 : equity[minI];
    let hi = maxI < 0 ? 0 : equity[maxI];
    for (let i = from; i < to; i++) {
      if (i === 0 || i === n - 1 || i >= bucketEnd) {
        if (minI >= 0) {
          this.addPair(minI, maxI);
          minI = -1;
          maxI = -1;
        }
        if (i === 0 || i === n - 1) {
          this.add(i);
          continue;
        }
        bucketEnd += this.bucket;
      }
      const e = equity[i];
      if (minI < 0) {
        minI = maxI = i;
        lo = hi = e;
      } else if (e < lo) {
        minI = i;
        lo = e;
      } else if (e > hi) {
        maxI = i;
        hi = e;
      }
    }
    this.bucketEnd = bucketEnd;
    this.minI = minI;
    this.maxI = maxI;
  }

  private addPair(minI: number, maxI: number): void {
    const a = Math.min(minI, maxI);
    const b = Math.max(minI, maxI);
    this.add(a);
    if (b !== a) this.add(b);
  }

  result(): { time: number[]; equity: number[] } {
    return { time: this.outTime, equity: this.outEquity };
  }
}
