"""The one place that turns reports into words, numbers with units and table rows.

The CLI prints what these functions return and the UI shows the same lines (adding its links);
neither formats a report itself, and neither imports the other. Modules here depend on the
report types of `analysis`, `runtime` and `check`, never on `cli` or `ui`, and import neither
Textual nor TensorFlow.
"""
