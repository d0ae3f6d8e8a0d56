#!/usr/bin/python3
"""CLAM's and TRIDENT's readers crop exactly our tiles from our coordinate
files: peer_readers_test.py MODELSPEC MAKE_TISSUE_SLIDE MODELS_DIR.

How each peer turns a coordinates file into level-0 crops is written here
again from reading their source (nothing of theirs is copied or imported):
mahmoodlab/CLAM at 53e2409d4a8189c682c173382964a85f114f923c and
mahmoodlab/TRIDENT at a91fa8490e0210ebbbe58452c3babe009e0ab7ca; every
function cites the lines it follows. They run on the files `modelspec tiles`
and `modelspec extract` write for generated slides at 0.25 um/px AppMag 40,
0.2465 um/px AppMag 40 (MPP and objective power disagree) and 0.5 um/px
AppMag 20, with tiles read at level 0 and resized, and at a coarser level as
they are (and at a coarser level resized). Every reader's crop must be our
tile's level-0 field, which the CSV export gives (level, size read) and the
tile spec gives independently (tile size x target MPP / slide MPP)."""
import pathlib
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import openslide
except ImportError as missing:
    print(f"SKIP: {missing}")
    sys.exit(77)

TOOL, GENERATOR, MODELS = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
TILE = 64  # the tiny model's tile side (tiny-vit-reg4.yaml)

# name: (MPP, AppMag)
SLIDES = {"mpp0.25-40x": ("0.25", "40"), "mpp0.2465-40x": ("0.2465", "40"), "mpp0.5-20x": ("0.5", "20")}
# Target MPP: the slides read at it. Each slide gets a level-0 read with a
# resize (0.5 on the 40x slides, 1.0 on the 20x one) and a coarser level read
# as it is (its level 1: 1.0, 0.986, 2.0); 1.0 on the 0.2465 slide and 2.0 on
# the 0.25 one read level 1 and resize.
TARGETS = {"0.5": ["mpp0.25-40x", "mpp0.2465-40x"], "1.0": ["mpp0.25-40x", "mpp0.2465-40x", "mpp0.5-20x"],
           "0.986": ["mpp0.2465-40x"], "2.0": ["mpp0.25-40x", "mpp0.5-20x"]}


# --- CLAM ---------------------------------------------------------------

def clam_whole_slide_bag_fp(path):
    """dataset_modules/dataset_h5.py:63-66 (Whole_Slide_Bag_FP.__init__)
    takes patch_level and patch_size from the coords attributes; :83-86
    (__getitem__) reads wsi.read_region(coord, patch_level, (patch_size,
    patch_size)), then only the encoder's transforms follow
    (extract_features_fp.py:100-102). Returns (x, y, level, side read)."""
    with h5py.File(path, "r") as f:
        level = int(f["coords"].attrs["patch_level"])
        size = int(f["coords"].attrs["patch_size"])
        return [(int(x), int(y), level, size) for x, y in f["coords"][:]]


def clam_stitch_side(path, downsamples):
    """wsi_core/wsi_utils.py:255-260 (StitchCoords): the square drawn per
    coordinate is patch_size * level_downsamples[patch_level] level-0 px, cast
    to int32."""
    with h5py.File(path, "r") as f:
        attrs = f["coords"].attrs
        return int(np.int32(attrs["patch_size"] * downsamples[int(attrs["patch_level"])]))


# --- TRIDENT ------------------------------------------------------------

def trident_read_coords(path):
    """trident/IO.py:576-605 (read_coords): every coords attribute, and the coords."""
    with h5py.File(path, "r") as f:
        return dict(f["coords"].attrs), f["coords"][:]


def trident_best_level(downsamples, downsample, tolerance=0.1):
    """wsi_objects/WSI.py:640-695 (get_best_level_and_custom_downsample): the
    first level within `tolerance` of the downsample; else, downsampling, the
    last level at most it; upsampling, the first level at least it."""
    for level, level_downsample in enumerate(downsamples):
        if abs(level_downsample - downsample) <= tolerance:
            return level
    if downsample >= downsamples[0]:
        best = None
        for level, level_downsample in enumerate(downsamples):
            if level_downsample > downsample:
                break
            best = level
        return best
    return next(level for level, level_downsample in enumerate(downsamples) if level_downsample >= downsample)


def trident_patcher_reads(patch_size, src_pixel_size, dst_pixel_size, downsamples, coords):
    """wsi_objects/WSIPatcher.py:146-147: downsample = dst / src pixel size,
    patch_size_src = round(patch_size * downsample) (Python's round);
    :366-371 (_prepare): the level of trident_best_level(downsample, 0.1),
    patch_size_level = round(patch_size_src / int(level downsample));
    :381-394 (get_tile_xy): read_region((x, y), level, (patch_size_level,) * 2),
    then a resize to patch_size. Returns (x, y, level, side read, resized to)."""
    downsample = dst_pixel_size / src_pixel_size
    patch_size_src = round(patch_size * downsample)
    level = trident_best_level(downsamples, downsample)
    patch_size_level = round(patch_size_src / int(downsamples[level]))
    return [(int(x), int(y), level, patch_size_level, patch_size) for x, y in coords]


def trident_extract_patch_features(path, downsamples):
    """wsi_objects/WSI.py:930-948 (extract_patch_features; visualize_coords
    :775-795 and dump_patches :843-865 do the same): patch_size,
    level0_magnification and target_magnification from read_coords, into
    create_patcher(patch_size, src_mag=level0, dst_mag=target) (:222-275),
    whose WSIPatcher takes src/dst pixel size = 10 / mag (WSIPatcher.py:132-144)."""
    attrs, coords = trident_read_coords(path)
    src_mag, dst_mag = attrs["level0_magnification"], attrs["target_magnification"]
    return trident_patcher_reads(int(attrs["patch_size"]), 10 / src_mag, 10 / dst_mag, downsamples, coords)


def trident_legacy(path, slide_mpp, downsamples):
    """The CLAM fallback, when a magnification is missing (WSI.py:934-939):
    IO.py:608-643 (read_coords_legacy) patch_size, patch_level,
    custom_downsample (default 1); WSIPatcher.py:226-245 (from_legacy_coords)
    src = the slide's MPP, dst = MPP * level_downsamples[patch_level] * custom_downsample."""
    with h5py.File(path, "r") as f:
        attrs = f["coords"].attrs
        patch_size, patch_level = int(attrs["patch_size"]), int(attrs["patch_level"])
        custom = attrs.get("custom_downsample", 1)
        coords = f["coords"][:]
    ratio = downsamples[patch_level] * custom
    return trident_patcher_reads(patch_size, slide_mpp, slide_mpp * ratio, downsamples, coords)


def trident_level0_side(path):
    """The slide encoders (slide_encoder_models/load.py:351, 443, 477) and
    visualize_heatmap (Visualization.py:35, 160) take patch_size_level0 as the
    tile's level-0 side (WSI.py:1139-1140 makes it an int)."""
    with h5py.File(path, "r") as f:
        return int(f["coords"].attrs["patch_size_level0"])


# --- ours ---------------------------------------------------------------

def our_fields(csv_path, downsamples):
    """Our tiles' level-0 fields from the CSV export: (x, y) and the size read at `level`."""
    fields = []
    for line in csv_path.read_text().splitlines()[1:]:
        x, y, level, width, height, _ = line.split(",")
        ds = downsamples[int(level)]
        fields.append((int(x), int(y), int(width) * ds, int(height) * ds))
    return fields


def field(read, downsamples):
    x, y, level, size = read[:4]
    return (x, y, size * downsamples[level], size * downsamples[level])


def run(*command):
    result = subprocess.run([TOOL, *map(str, command)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, (command, result.stdout, result.stderr)


def check_slide(slide_path, target, tiles, extracted):
    """Checks one slide's files at one target MPP; returns (level > 0, resized) and the files checked."""
    slide = openslide.OpenSlide(str(slide_path))
    downsamples = slide.level_downsamples
    slide_mpp = float(slide.properties["openslide.mpp-x"])
    name = slide_path.stem
    ours = our_fields(tiles / f"{name}.csv", downsamples)
    assert ours, (name, target)
    with h5py.File(tiles / f"{name}.h5", "r") as a:
        level, patch_size = int(a["coords"].attrs["patch_level"]), int(a["coords"].attrs["patch_size"])
        if (tiles / "trident").exists():
            with h5py.File(tiles / "trident" / f"{name}_patches.h5", "r") as b:
                assert (a["coords"][:] == b["coords"][:]).all() and set(a["coords"].attrs) == set(b["coords"].attrs)
    resized = patch_size != TILE
    # The grid's pitch, independently of our export: tile x target MPP / slide MPP, rounded half up. The
    # field read is that, but for the rounding of a resized read at a coarser level.
    footprint = int(TILE * float(target) / slide_mpp + 0.5)
    side = ours[0][2]
    assert all(f[2] == side and f[3] == side for f in ours), (name, target, ours[0])
    if level == 0 or not resized:
        assert side == footprint, (name, target, side, footprint)
    else:
        assert abs(side - footprint) <= downsamples[level] / 2, (name, target, side, footprint)
    files = 0
    for path in (tiles / f"{name}.h5", extracted / f"{name}.h5"):
        context = f"{path.parent.name}/{path.name} at {target} um/px"
        with h5py.File(path, "r") as f:
            coords = [(int(x), int(y)) for x, y in f["coords"][:]]
        assert coords == [f[:2] for f in ours], context
        readers = {
            "CLAM Whole_Slide_Bag_FP": clam_whole_slide_bag_fp(path),
            "TRIDENT extract_patch_features": trident_extract_patch_features(path, downsamples),
            "TRIDENT legacy (CLAM) reader": trident_legacy(path, slide_mpp, downsamples),
        }
        for reader, reads in readers.items():
            assert [field(r, downsamples) for r in reads] == ours, (context, reader, reads[0], ours[0])
        # TRIDENT resizes what it read to patch_size: nothing to resize, so its encoder's transforms get
        # the pixels CLAM's get.
        trident = readers["TRIDENT extract_patch_features"]
        assert all(r[3] == r[4] for r in trident), (context, trident[0])
        assert clam_stitch_side(path, downsamples) == side, context
        # The slide encoders' tile, and their grid (CARE divides the coords by it): the pitch.
        assert trident_level0_side(path) == footprint, context
        files += 1
    return (level > 0, resized), files


def main():
    template = (MODELS / "tiny-vit-reg4.yaml").read_text()
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        for name, (mpp, appmag) in SLIDES.items():
            # Level 1 of 2048 x 1536 is at least one TIFF tile (256 px) each way: OpenSlide 3.4.1 with
            # Debian 12's libtiff reads a level smaller than a tile shifted (1024 x 768's level 1, 256 x 192,
            # comes back 64 px down), the same for every reader but not what the file holds.
            subprocess.run([GENERATOR, str(work / f"{name}.tif"), "--size", "2048x1536", "--mpp", mpp, "--appmag",
                            appmag], check=True)
        files = 0
        combinations = set()
        for target, names in TARGETS.items():
            slides = [work / f"{name}.tif" for name in names]
            (work / f"at-{target}").mkdir()
            config = work / f"at-{target}" / "tiny-vit-reg4.yaml"  # a config is named after its model
            config.write_text(template.replace("resolution: 0.5", f"resolution: {target}"))
            tiles, extracted = work / f"tiles-{target}", work / f"extract-{target}"
            everything = ["--mask-threshold", "0"]  # every grid tile: the test is about geometry
            run("tiles", *slides, "--tile-spec", config, "-o", tiles, *everything)
            run("tiles", *slides, "--tile-spec", config, "-o", tiles, "--format", "csv", *everything)
            if target == "0.5":  # TRIDENT's file name: the same file under another name
                run("tiles", *slides, "--tile-spec", config, "-o", tiles / "trident", "--h5-naming", "trident",
                    *everything)
            run("extract", *slides, "--model", config, "--weights", MODELS / "tiny-vit-reg4.pt", "-o", extracted,
                "--threads", "2", *everything)
            for slide_path in slides:
                (coarser, resized), checked = check_slide(slide_path, target, tiles, extracted)
                combinations.add((slide_path.stem, coarser, resized))
                files += checked
        # Every combination the issue asks for was run.
        for name in SLIDES:
            assert (name, False, True) in combinations, (name, "level 0 with a resize", combinations)
            assert (name, True, False) in combinations, (name, "a coarser level without a resize", combinations)
    print(f"CLAM's and TRIDENT's readers crop our tiles in {files} files")


if __name__ == "__main__":
    main()
