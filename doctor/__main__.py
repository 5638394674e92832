import os
import sys

# `python -m doctor` puts the working directory first on sys.path, so a local typing.py or
# json.py would be imported into the doctor, which holds the key. The package is loaded by now;
# nothing else comes from there (the console script never looks there either).
if not getattr(sys.flags, "safe_path", False) and sys.path[:1] in ([""], [os.getcwd()]):
    del sys.path[0]

from .launch import main

main()
