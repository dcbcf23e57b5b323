"""Learning from real drills: read drill logs, paging exports and status-page histories
(`inputs`), fit step and phase durations to them (`fit`, `drsim calibrate`), and judge one
drill against the model (`score`, `drsim score`). The records every reader produces and every
consumer takes are in `records`."""
