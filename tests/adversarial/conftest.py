import pathlib
import sys

# support.py beside the tests, whatever the working directory.
sys.path.insert(0, str(pathlib.Path(__file__).parent))
