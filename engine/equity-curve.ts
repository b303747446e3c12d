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
    let i = from;
    if (i === 0) {
      this.add(0);
      i = 1;
    }
    const last = n - 1;
    while (i < to) {
      if (i === last) {
        this.flushBucket();
        this.add(last);
        return;
      }
      if (i >= this.bucketEnd) {
        this.flushBucket();
        this.bucketEnd += this.bucket;
      }
      // A tight min/max loop over the part of the current bucket inside this chunk.
      const end = Math.min(to, this.bucketEnd, last);
      let minI = this.minI;
      let maxI = this.maxI;
      if (minI < 0) minI = maxI = i;
      let lo = equity[minI];
      let hi = equity[maxI];
      for (; i < end; i++) {
        const e = equity[i];
        if (e < lo) {
          lo = e;
          minI = i;
        } else if (e > hi) {
          hi = e;
          maxI = i;
        }
      }
      this.minI = minI;
      this.maxI = maxI;
    }
  }

  private flushBucket(): void {
    if (this.minI < 0) return;
    this.addPair(this.minI, this.maxI);
    this.minI = -1;
    this.maxI = -1;
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
