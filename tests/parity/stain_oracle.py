"""The stain references, written in numpy from their formulas.

Macenko and Reinhard follow torchstain's numpy backend (EIDOSLAB/torchstain
@c94179d, MIT: torchstain/numpy/normalizers/macenko.py and reinhard.py with
its utils rgb2lab.py, lab2rgb.py, split.py, stats.py), operation by operation
and in the same dtypes (float64 for Macenko, float32 for Reinhard's LAB, the
float64 product back to RGB), so that a result here is torchstain's result.
HED is scikit-image's own rgb2hed.
"""
import numpy as np

# macenko.py: the reference target and the defaults of normalize().
HE_REFERENCE = np.array([[0.5626, 0.2159], [0.7201, 0.8012], [0.4062, 0.5581]])
MAX_C_REFERENCE = np.array([1.9705, 1.0308])
IO, ALPHA, BETA = 240, 1, 0.15

# rgb2lab.py: sRGB (D65) to XYZ; lab2rgb.py uses its inverse.
RGB_TO_XYZ = np.array([[0.412453, 0.357580, 0.180423],
                       [0.212671, 0.715160, 0.072169],
                       [0.019334, 0.119193, 0.950227]])
XYZ_TO_RGB = np.linalg.inv(RGB_TO_XYZ)
WHITE = (0.95047, 1.0, 1.08883)

# The default Reinhard target: what torchstain's fit() gives on its own
# data/target.png (float32), since torchstain has no default.
LAB_MEAN_REFERENCE = np.array([70.396225, 11.843821, -19.952099], np.float32)
LAB_STD_REFERENCE = np.array([14.0912075, 7.232986, 10.121306], np.float32)


def macenko_stains(image):
    """(HE, C, maxC) of an (H, W, 3) uint8 image, as Macenko's estimate."""
    pixels = image.reshape(-1, 3)
    od = -np.log((pixels.astype(float) + 1) / IO)
    tissue = od[~np.any(od < BETA, axis=1)]
    _, vectors = np.linalg.eigh(np.cov(tissue.T))
    plane = vectors[:, 1:3]
    projected = tissue.dot(plane)
    angles = np.arctan2(projected[:, 1], projected[:, 0])
    low = np.percentile(angles, ALPHA)
    high = np.percentile(angles, 100 - ALPHA)
    v_low = plane.dot(np.array([(np.cos(low), np.sin(low))]).T)
    v_high = plane.dot(np.array([(np.cos(high), np.sin(high))]).T)
    # Haematoxylin first: the vector with the larger red component.
    if v_low[0] > v_high[0]:
        he = np.array((v_low[:, 0], v_high[:, 0])).T
    else:
        he = np.array((v_high[:, 0], v_low[:, 0])).T
    concentrations = np.linalg.lstsq(he, od.T, rcond=None)[0]
    max_c = np.array([np.percentile(concentrations[0, :], 99), np.percentile(concentrations[1, :], 99)])
    return he, concentrations, max_c


def macenko_fit(image):
    he, _, max_c = macenko_stains(image)
    return he, max_c


def macenko_normalize(image, he_target=HE_REFERENCE, max_c_target=MAX_C_REFERENCE):
    height, width, channels = image.shape
    _, concentrations, max_c = macenko_stains(image)
    scaled = concentrations / (max_c / max_c_target)[:, np.newaxis]
    normalized = np.multiply(IO, np.exp(-he_target.dot(scaled)))
    normalized[normalized > 255] = 255
    return np.reshape(normalized.T, (height, width, channels)).astype(np.uint8)


def rgb_to_lab(rgb):
    """rgb2lab.py on float32 RGB in [0, 1]: LAB with L * 2.55 and a, b + 128."""
    linear = rgb.astype(np.float32).copy()
    bright = linear > 0.04045
    linear[bright] = np.power((linear[bright] + 0.055) / 1.055, 2.4)
    linear[~bright] /= 12.92
    xyz = np.dot(linear, RGB_TO_XYZ.T.astype(linear.dtype))
    xyz = xyz / np.asarray(WHITE, dtype=xyz.dtype)
    above = xyz > 0.008856
    xyz[above] = np.cbrt(xyz[above])
    xyz[~above] = 7.787 * xyz[~above] + 16. / 116.
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    lightness = (116. * y) - 16.
    a = 500.0 * (x - y)
    b = 200.0 * (y - z)
    lightness *= 2.55
    a += 128
    b += 128
    return np.concatenate([c[..., np.newaxis] for c in [lightness, a, b]], axis=-1)


def lab_to_rgb(lab):
    """lab2rgb.py: the inverse, float64 from the matrix product on, clipped to [0, 1]."""
    lab[..., 0] /= 2.55
    lab[..., 1:] -= 128
    y = (lab[..., 0] + 16.) / 116.
    x = (lab[..., 1] / 500.) + y
    z = y - (lab[..., 2] / 200.)
    xyz = np.stack([x, y, z], axis=-1)
    above = xyz > 0.2068966
    xyz[above] = np.power(xyz[above], 3.)
    xyz[~above] = (xyz[~above] - 16.0 / 116.) / 7.787
    xyz *= np.array(WHITE, dtype=xyz.dtype)
    rgb = np.matmul(xyz, XYZ_TO_RGB.T)
    bright = rgb > 0.0031308
    rgb[bright] = 1.055 * np.power(rgb[bright], 1 / 2.4) - 0.055
    rgb[~bright] *= 12.92
    return np.clip(rgb, 0, 1)


def lab_planes(image):
    """split.py lab_split of the image's LAB: L / 2.55, a - 128, b - 128 (float32)."""
    lab = rgb_to_lab(image.astype("float32") / 255).astype("float32")
    return lab[..., 0] / 2.55, lab[..., 1] - 128, lab[..., 2] - 128


def lab_statistics(planes):
    """stats.py per plane: (means, stds) as float32 arrays."""
    stats = np.array([(np.mean(plane), np.std(plane)) for plane in planes])
    return stats[:, 0], stats[:, 1]


def reinhard_fit(image):
    return lab_statistics(lab_planes(image))


def reinhard_normalize(image, target_means=LAB_MEAN_REFERENCE, target_stds=LAB_STD_REFERENCE):
    planes = lab_planes(image)
    means, stds = lab_statistics(planes)
    result = [(plane - mu) / sigma * sigma_t + mu_t
              for plane, mu, sigma, mu_t, sigma_t in zip(planes, means, stds, target_means, target_stds)]
    lab = np.stack([result[0] * 2.55, result[1] + 128, result[2] + 128], axis=-1)
    return (lab_to_rgb(lab) * 255).astype("uint8")
