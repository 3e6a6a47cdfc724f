/** Time as a seam: only drivers read it; the master's machine gets time in events. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };
