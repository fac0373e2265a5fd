"""What a step may do and does to a case: pure functions of the state, shared by every
run (the sandbox passes them through, `worker/sandbox.py`)."""
