"""Build hook: the tutorials (nbs/tutorials) ship inside the wheel as annbook/tutorials.

Everything else about the package is in pyproject.toml. The notebooks in nbs/ are the single source of
the tutorials; this copies them into the build, so that `pip install annbook` brings the course and
`annbook tutorials DIR` can hand it out (an editable install reads nbs/tutorials directly).
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class build_py_with_tutorials(build_py):
    def run(self):
        super().run()
        src, dest = HERE / "nbs" / "tutorials", Path(self.build_lib) / "annbook" / "tutorials"
        if not src.is_dir(): return   # building from an sdist without them: nothing to add
        shutil.rmtree(dest, ignore_errors=True)   # a reused build folder must not keep a tutorial that is gone
        for f in sorted(p for p in src.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts):
            target = dest / f.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)


setup(cmdclass={"build_py": build_py_with_tutorials})
