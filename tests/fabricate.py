"""Write small fake data files in exactly the real layouts (keys, shapes, dtypes, quirks).

Real IEMOCAP and CMU-MOSI files cannot be shipped; these fabricate the same structure with few
items: MulT pickles (MOSI aligned T=50 dims 300/5/20 with -inf audio and (N, 3) byte-string ids;
IEMOCAP aligned T=20 dims 300/74/35 with (N, 4, 2) labels), MFN h5 folders, CMU-SDK .csd folders,
MMSA pickles (torch tensors and a top-level ``config``) and the paper's per-modality arrays.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import h5py
import numpy as np

from repro.data.loaders.csd_folds import MOSI_FOLDS

MOSI_DIMS = {"text": 300, "audio": 5, "vision": 20}
IEMOCAP_DIMS = {"text": 300, "audio": 74, "vision": 35}
SIZES = {"train": 12, "valid": 5, "test": 6}


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def mult_mosi_dict(sizes=SIZES, t: int = 50, aligned: bool = True, seed: int = 0) -> dict:
    rng = _rng(seed)
    lengths = (
        {"text": t, "audio": t, "vision": t}
        if aligned
        else {"text": t, "audio": 3 * t, "vision": 2 * t}
    )
    out = {}
    for split, n in sizes.items():
        block = {}
        for key, d in MOSI_DIMS.items():
            x = rng.normal(size=(n, lengths[key], d)).astype(
                np.float64 if key == "audio" else np.float32
            )
            x[:, : lengths[key] // 3] = 0.0  # left padding
            block[key] = x
        block["audio"][0, -1, 0] = -np.inf  # COVAREP log-energy of silence
        block["audio"][-1, -2, 1] = -np.inf
        block["labels"] = rng.uniform(-3, 3, size=(n, 1, 1)).astype(np.float32)
        vids = MOSI_FOLDS[split]
        block["id"] = np.array(
            [[vids[i % len(vids)].encode(), str(i).encode(), b"0"] for i in range(n)], dtype="S11"
        )
        out[split] = block
    return out


def iemocap_labels(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 4, 2) one-hot (absent, present) per emotion; a few rows with 0 or 2 emotions."""
    present = np.zeros((n, 4), dtype=bool)
    present[np.arange(n), rng.integers(0, 4, size=n)] = True
    present[0] = False  # no emotion present
    present[1, :2] = True  # two emotions present
    lab = np.zeros((n, 4, 2), dtype=np.float32)
    lab[:, :, 1] = present
    lab[:, :, 0] = ~present
    return lab


def mult_iemocap_dict(sizes=SIZES, t: int = 20, seed: int = 1) -> dict:
    rng = _rng(seed)
    out = {}
    for split, n in sizes.items():
        block = {k: rng.normal(size=(n, t, d)).astype(np.float32) for k, d in IEMOCAP_DIMS.items()}
        block["audio"][2, 3, 4] = -np.inf
        block["labels"] = iemocap_labels(n, rng)
        block["id"] = np.array([f"Ses01F_impro01_F{i:03d}" for i in range(n)])
        out[split] = block
    return out


def write_pickle(obj, path: Path) -> Path:
    with open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=4)
    return path


def mult_mosi(tmp: Path, name: str = "mosi_data.pkl", **kw) -> Path:
    return write_pickle(mult_mosi_dict(**kw), tmp / name)


def mult_iemocap(tmp: Path, name: str = "iemocap_data.pkl", **kw) -> Path:
    return write_pickle(mult_iemocap_dict(**kw), tmp / name)


def mfn_h5(tmp: Path, sizes=SIZES, t: int = 20, seed: int = 2) -> Path:
    """Folder with X_/y_{train,valid,test}.h5, one dataset 'data' each; left-padded X."""
    rng = _rng(seed)
    folder = tmp / "mfn"
    folder.mkdir()
    for split, n in sizes.items():
        x = rng.normal(size=(n, t, 325))
        x[:, :5] = 0.0
        x[0, -1, 300] = -np.inf
        y = rng.uniform(-3, 3, size=(n, 1))
        with h5py.File(folder / f"X_{split}.h5", "w") as fh:
            fh.create_dataset("data", data=x)
        with h5py.File(folder / f"y_{split}.h5", "w") as fh:
            fh.create_dataset("data", data=y)
    return folder


def write_csd(path: Path, root: str, entries: dict, dtype=np.float32) -> Path:
    """One computational sequence: root/data/<id>/{features, intervals}, root/metadata/<key>."""
    with h5py.File(path, "w") as fh:
        grp = fh.create_group(root)
        data = grp.create_group("data")
        for key, (feats, ivals) in entries.items():
            g = data.create_group(key)
            g.create_dataset("features", data=np.asarray(feats, dtype=dtype))
            g.create_dataset("intervals", data=np.asarray(ivals, dtype=np.float64))
        meta = grp.create_group("metadata")
        meta.create_dataset("root name", data=root)
        meta.create_dataset("dimension names", data='["feature"]')
    return path


def csd_folder(tmp: Path, videos_per_split: int = 2, segments: int = 3, seed: int = 3) -> Path:
    """MOSI-like .csd folder: word vectors, words (bytes), COVAREP, FACET and opinion labels."""
    rng = _rng(seed)
    folder = tmp / "csd"
    folder.mkdir()
    vids = [v for s in ("train", "valid", "test") for v in MOSI_FOLDS[s][:videos_per_split]]
    words, wvec, cov, facet, labels = {}, {}, {}, {}, {}
    for v in vids:
        seg_iv = np.array([[2.0 * i, 2.0 * i + 2.0] for i in range(segments)])
        w_iv = np.array([[0.5 * j, 0.5 * j + 0.5] for j in range(4 * segments)])
        wvec[v] = (rng.normal(size=(len(w_iv), 300)), w_iv)
        words[v] = (np.array([[b"word"]] * len(w_iv)), w_iv)
        a_iv = np.array([[0.01 * k, 0.01 * k + 0.01] for k in range(200 * segments)])
        a = rng.normal(size=(len(a_iv), 74))
        a[0, 0] = -np.inf
        cov[v] = (a, a_iv)
        f_iv = np.array([[0.1 * k, 0.1 * k + 0.1] for k in range(20 * segments)])
        facet[v] = (rng.normal(size=(len(f_iv), 35)), f_iv)
        labels[v] = (rng.uniform(-3, 3, size=(segments, 1)), seg_iv)
    write_csd(folder / "CMU_MOSI_TimestampedWordVectors.csd", "glove_vectors", wvec)
    write_csd(folder / "CMU_MOSI_TimestampedWords.csd", "words", words, dtype="S8")
    write_csd(folder / "CMU_MOSI_COVAREP.csd", "COVAREP", cov)
    write_csd(folder / "CMU_MOSI_Visual_Facet_41.csd", "FACET_4.1", facet)
    write_csd(folder / "CMU_MOSI_Opinion_Labels.csd", "Opinion Segment Labels", labels)
    return folder


def mmsa_dict(sizes=SIZES, tensors: bool = True, seed: int = 4) -> dict:
    """MMSA aligned_50 layout; torch tensors for the features when ``tensors``."""
    import torch

    rng = _rng(seed)
    out = {
        "config": {"dataset_name": "mosi", "featureName": "aligned_50", "seq_lens": [50, 50, 50]}
    }
    for split, n in sizes.items():
        feats = {
            "text": rng.normal(size=(n, 50, 768)).astype(np.float32),
            "audio": rng.normal(size=(n, 50, 5)).astype(np.float32),
            "vision": rng.normal(size=(n, 50, 20)).astype(np.float32),
        }
        if tensors:
            feats = {k: torch.from_numpy(v) for k, v in feats.items()}
        reg = rng.uniform(-3, 3, size=n).astype(np.float32)
        out[split] = {
            "raw_text": ["a sentence"] * n,
            **feats,
            "text_bert": rng.integers(0, 100, size=(n, 3, 50)).astype(np.float32),
            "audio_lengths": [50] * n,
            "vision_lengths": [50] * n,
            "id": [f"{MOSI_FOLDS[split][0]}$_${i}" for i in range(n)],
            "regression_labels": reg,
            "classification_labels": (np.sign(reg) + 1).astype(np.float32),
        }
    return out


def mmsa(tmp: Path, name: str = "aligned_50.pkl", **kw) -> Path:
    return write_pickle(mmsa_dict(**kw), tmp / name)


def paper_arrays(n: int = 40, t: int = 30, seed: int = 5, n_classes: int = 9) -> dict:
    """The paper's layout: language (N, 30, 300), audio (N, 30, 80), visual (N, 30, 310)."""
    rng = _rng(seed)
    out = {
        "language": rng.normal(size=(n, t, 300)).astype(np.float32),
        "audio": rng.normal(size=(n, t, 80)).astype(np.float32),
        "visual": rng.normal(size=(n, t, 310)).astype(np.float32),
    }
    for m in out:
        out[m][:, :10] = 0.0  # zero-padded at the start
    out["labels"] = np.arange(n) % n_classes
    return out


def arrays_npz(tmp: Path, name: str = "iemocap.npz", splits: bool = True, **kw) -> Path:
    arrays = paper_arrays(**kw)
    if splits:
        n = len(arrays["labels"])
        arrays.update(
            train=np.arange(0, n - 10), valid=np.arange(n - 10, n - 5), test=np.arange(n - 5, n)
        )
    np.savez(tmp / name, **arrays)
    return tmp / name


def arrays_folder(tmp: Path, **kw) -> Path:
    folder = tmp / "arrays"
    folder.mkdir()
    for key, arr in paper_arrays(**kw).items():
        np.save(folder / f"{key}.npy", arr)
    return folder


def truncate(path: Path, keep: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path
