"""The test suite. pytest imports this package before any conftest or test module.

pytest rewrites each test module's assertions on import and keeps the result as bytecode beside
it; Python keeps the doctor's modules' bytecode the same way. With PYTHONDONTWRITEBYTECODE=1
set (some CI images and containers set it) neither is kept, and each of the suite's xdist
workers rewrites and compiles them all again on every run: about 2 s of CPU per worker. The
suite's own processes keep them anyway, in the `__pycache__` folders git ignores; the processes
the tests start keep the environment they are given.
"""

import sys

sys.dont_write_bytecode = False
