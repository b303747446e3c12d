/**
 * Erlang C (M/M/c): the closed form the simulator is checked against, and a quick analytic view beside the simulated
 * numbers. Computed through the Erlang B recursion, which stays finite for thousands of servers where A^c / c! does
 * not.
 */
export interface ErlangC {
  /** Probability that an arrival waits at all. */
  probabilityOfWait: number;
  /** Mean wait in queue, in the unit of `meanServiceTime`. */
  meanWait: number;
  /** The wait not exceeded by a fraction `q` of arrivals. */
  waitQuantile: (q: number) => number;
}

export function erlangC(arrivalRate: number, meanServiceTime: number, servers: number): ErlangC {
  const load = arrivalRate * meanServiceTime;
  if (!(load < servers)) throw new Error(`unstable: offered load ${load.toFixed(2)} >= ${servers} servers`);
  let b = 1;
  for (let k = 1; k <= servers; k++) b = (load * b) / (k + load * b);
  const probabilityOfWait = (servers * b) / (servers - load * (1 - b));
  // Given a wait, it is exponential with rate c*mu - lambda.
  const drain = servers / meanServiceTime - arrivalRate;
  return {
    probabilityOfWait,
    meanWait: probabilityOfWait / drain,
    waitQuantile: (q) => (1 - q >= probabilityOfWait ? 0 : Math.log(probabilityOfWait / (1 - q)) / drain),
  };
}
