"""Offline stand-in for get-pip.py, for ansible-test's sanity virtual environments.

ansible-test bootstraps pip into each sanity venv with a get-pip.py it downloads from
ci-files.testing.ansible.com, which this machine cannot reach. `make` saves this file as
~/.ansible/test/cache/get_pip_<version>.py next to the pip wheel (downloaded from PyPI);
ansible-test then finds it "cached" and runs it as it would run get-pip.py:

    python get_pip_24_2.py --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel

Like get-pip.py, it runs pip from the wheel to install that same wheel.
"""

from __future__ import annotations

import glob
import os
import sys


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    version = os.path.splitext(os.path.basename(__file__))[0].rsplit("get_pip_", 1)[-1].replace("_", ".")
    wheels = glob.glob(os.path.join(here, f"pip-{version}-*.whl"))
    if not wheels:
        sys.exit(f"pip {version} wheel missing in {here}: run `make sanity-bootstrap`")
    wheel = wheels[0]
    sys.path.insert(0, wheel)

    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    # get-pip.py options that are not pip options; pip==<version> is served by the wheel.
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel") and not a.startswith("pip==")]
    sys.exit(pip_main(["install", "--no-index", "--upgrade", "--force-reinstall", *args, wheel]))


if __name__ == "__main__":
    main()
