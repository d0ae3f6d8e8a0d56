"""The bindings under hostile use (issue 22): files that are not regular
files, a full disk under TileExtractor.to_hdf5, objects made without their
__init__. Each probe runs in a child interpreter, so that a hang is a
timeout and a crash an exit status, not the end of this test run."""
import os
import subprocess
import sys
import textwrap

import pytest

import bioptimus_cpp as bp

GENERATOR = os.environ.get("BIOPTIMUS_MAKE_TISSUE_SLIDE")
slides = pytest.mark.skipif(not hasattr(bp, "TileExtractor") or not GENERATOR,
                            reason="built without the slide layers or the slide generator")


def child(code, *, file_size=None, timeout=60):
    """Runs `code` in a fresh interpreter that imports bioptimus_cpp as bp;
    with file_size, every file it writes is capped as on a full disk."""
    prologue = "import bioptimus_cpp as bp\n"
    if file_size is not None:
        prologue += ("import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
                     f"resource.setrlimit(resource.RLIMIT_FSIZE, ({file_size}, {file_size}))\n")
    return subprocess.run([sys.executable, "-c", prologue + textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, check=False)


@slides
@pytest.mark.parametrize("kind", ["fifo", "directory", "device"])
def test_slide_reader_refuses_what_is_not_a_file_without_waiting(temp_dir, kind):
    path = temp_dir / "slide.svs"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero")
    expected = {"fifo": "a FIFO (named pipe)", "directory": "a directory", "device": "a character device"}[kind]
    result = child(f"""
        try:
            bp.SlideReader({str(path)!r})
        except bp.SlideError as error:
            print(error)
    """, timeout=20)
    assert result.returncode == 0, result.stderr
    assert f"slide.svs: cannot open slide: expected a slide file, got {expected}" in result.stdout


@slides
def test_to_hdf5_on_a_full_disk_raises_and_the_program_keeps_its_exit_status(temp_dir):
    """A failed HDF5 write leaves nothing open in HDF5: before, the program
    died with SIGSEGV in HDF5's shutdown instead of exiting with its status."""
    slide = temp_dir / "slide.tif"
    subprocess.run([GENERATOR, str(slide), "--size", "2048x2048", "--mpp", "1.0"], check=True)
    out = temp_dir / "out"
    out.mkdir()
    result = child(f"""
        import sys
        extractor = bp.TileExtractor(bp.Registry.builtin().get(bp.Models.H0_MINI))
        extractor.fit(bp.SlideReader({str(slide)!r})).extract()
        try:
            extractor.to_hdf5({str(out)!r})
        except bp.Error as error:
            print(error)
            sys.exit(5)
    """, file_size=4096)
    assert result.returncode == 5, (result.returncode, result.stdout, result.stderr)
    assert "slide.h5: HDF5 could not write the file: File too large" in result.stdout
    assert list(out.iterdir()) == []


@slides
def test_exports_refuse_a_slide_name_that_is_not_utf8_and_take_another(temp_dir):
    """HDF5 and JSON store the slide's name as UTF-8: a file stem that is
    not UTF-8 is refused with a message saying how to name the slide."""
    slide = temp_dir / os.fsdecode(b"caf\xe9.tif")
    subprocess.run([GENERATOR, os.fsencode(slide), "--size", "2048x2048", "--mpp", "1.0"], check=True)
    extractor = bp.TileExtractor(bp.Registry.builtin().get(bp.Models.H0_MINI))
    extractor.fit(bp.SlideReader(slide)).extract()
    for export in (extractor.to_hdf5, extractor.to_json):
        with pytest.raises(bp.Error, match=r'the slide name "caf\\xe9" is not UTF-8.*name= in Python'):
            export(temp_dir / "out")
    extractor.fit(bp.SlideReader(slide, name="cafe")).extract()
    assert extractor.to_hdf5(temp_dir / "out").name == "cafe.h5"


# Class 12: every bound class, made by __new__ without __init__. Each name is
# what is called on it; calling it must raise ValueError naming the class (a
# crash, garbage or another exception fails). Run in a child: before the fix
# some of these read freed or uninitialized memory.
UNINITIALIZED_CALLS = {
    "MPP": ["repr(x)", "x.value", "float(x)", "hash(x)", "x == bp.MPP(0.5)", "bp.MPP(0.5) == x"],
    "Level": ["repr(x)", "x.index", "int(x)", "hash(x)"],
    "Magnification": ["repr(x)", "x.value", "float(x)"],
    "TileSpec": ["repr(x)", "x.size", "x.mpp", "hash(x)"],
    "ModelSpec": ["repr(x)", "x.model_name", "x.tile_spec", "x.to_yaml()", "bp.Preprocessor(x)"],
    "Registry": ["len(x)", "x.names()", "x.get(bp.Models.H0_MINI)"],
    "Preprocessor": ["x.output_shape", "x.precision", "x(__import__('numpy').zeros((8, 8, 3), 'uint8'))"],
    "Violation": ["x.field", "x.message", "repr(x)"],
    "Diagnostic": ["x.message", "str(x)", "repr(x)"],
}
if hasattr(bp, "StainNormalizer"):
    UNINITIALIZED_CALLS["StainNormalizer"] = ["x.method", "x(__import__('numpy').zeros((8, 8, 3), 'uint8'))"]
if hasattr(bp, "TileExtractor"):
    UNINITIALIZED_CALLS.update({
        "SlideReader": ["repr(x)", "x.path", "x.dimensions", "x.mpp", "x.level_count",
                        "bp.TileExtractor(bp.Registry.builtin().get(bp.Models.H0_MINI).tile_spec, segment=False).fit(x)"],
        "TileExtractor": ["x.slide_name", "x.coords", "x.extract()", "x.tile_spec", "x.read_size", "x.tissue_mask",
                          "x.thumbnail_placement"],
    })
if hasattr(bp, "PredictionWriter"):
    UNINITIALIZED_CALLS["PredictionWriter"] = ["repr(x)", "x.path", "x.rows", "x.close()", "x.__enter__()", "x.open()"]


@pytest.mark.parametrize("name", sorted(UNINITIALIZED_CALLS))
def test_an_object_made_without_init_raises_on_every_use(name):
    calls = UNINITIALIZED_CALLS[name]
    result = child(f"""
        import sys
        cls = getattr(bp, {name!r})
        x = cls.__new__(cls)
        for call in {calls!r}:
            try:
                eval(call)
            except ValueError as error:
                assert f"{name} object is not initialized" in str(error), (call, str(error))
            else:
                sys.exit(f"{{call}} did not raise")
        del x
        print("all raised")
        """, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all raised" in result.stdout


@pytest.mark.parametrize("name", ["MPP", "Level", "TileSpec", "ModelSpec"])
def test_a_pickle_stream_without_state_gives_an_object_that_raises(name):
    # PROTO 2, GLOBAL module name, EMPTY_TUPLE, NEWOBJ, STOP: cls.__new__(cls)
    # and no BUILD (__setstate__) opcode.
    result = child(f"""
        import pickle
        cls = getattr(bp, {name!r})
        x = pickle.loads(b"\\x80\\x02c" + cls.__module__.encode() + b"\\n{name}\\n)\\x81.")
        try:
            repr(x)
        except ValueError as error:
            print(error)
        """, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{name} object is not initialized" in result.stdout, result.stdout + result.stderr


def test_objects_returned_by_reference_are_still_usable():
    spec = bp.Registry.builtin().get(bp.Models.H0_MINI)
    assert spec.tile_spec.size == spec.tile_spec.size
    assert repr(spec.mpp)
