"""Metadata lives in setup.cfg. This file only copies the one real checks.yaml (at the top of the
repository, where users look for it) into the package as its packaged default."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithDefaultConfig(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "doctor" / "checks.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HERE / "checks.yaml", target)

    def get_outputs(self, include_bytecode: bool = True) -> list:  # type: ignore[type-arg]
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / "doctor" / "checks.yaml")]


setup(cmdclass={"build_py": BuildWithDefaultConfig})
