"""Other ways to answer the availability question than discrete-event simulation.

- `markov`: a Markovian scenario → a continuous-time Markov chain (or a one-line refusal
  naming the element that is not Markovian);
- `exact`: solve that chain (steady state, time average over the horizon, MTTF, outage
  frequency) with scipy;
- `rare`: importance sampling on the same chain for very small unavailabilities;
- `choose`: which method `drsim run --method auto` uses.

DES (`drsim.montecarlo`) stays the default and the reference: see docs/methods.md.
"""
