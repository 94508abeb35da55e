"""CMU-MultimodalSDK computational sequences: a folder of ``.csd`` (HDF5) files.

Each file has one root group with ``data/<id>/features`` (n, D) and ``data/<id>/intervals``
(n, 2, seconds) and ``metadata/<key>`` (JSON strings).  Labels are a separate sequence with one
value per segment (rows of a video, or one row per ``video[i]`` key once aligned).

Alignment: every labelled segment becomes one item; its steps are the primary modality's rows
whose interval midpoints fall inside the segment (words, for language), and every other modality
is averaged over the rows that overlap each step (zeros where none do).  Sequences keep their first
``seq_len`` steps and are zero-padded at the start.  Splits: the standard CMU-MOSI folds
(52 / 10 / 31 videos) when every video belongs to them, else a seeded split by video.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from colearn.errors import ConfigError, DataError
from repro.data import SPLITS, MultimodalDataset
from repro.data.loaders._common import (
    check_finite,
    check_sentiment,
    fname,
    sanitise_neg_inf,
    seeded_split,
)
from repro.data.loaders.csd_folds import MOSI_FOLDS

__all__ = ["OPTIONS", "load_csd", "looks_like_csd", "read_csd"]

OPTIONS = ("primary", "files", "seq_len", "folds", "seed")
_ROLE_WORDS = {
    "labels": ("label",),
    "language": ("wordvector", "word_vector", "glove", "bert", "language", "text"),
    "audio": ("covarep", "opensmile", "audio", "acoustic", "librosa"),
    "visual": ("facet", "openface", "visual", "vision", "video"),
}
_SEGMENT = re.compile(r"^(.*)\[(\d+)\]$")


def looks_like_csd(folder: Path) -> bool:
    """True for a folder holding ``.csd`` files."""
    return any(folder.glob("*.csd"))


def read_csd(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read one computational sequence: ``{id: (features (n, D), intervals (n, 2))}``.

    Raises
    ------
    DataError
        Truncated or non-HDF5 file, missing groups, non-numeric features, or ``features`` and
        ``intervals`` of one id with different row counts.
    """
    import h5py

    file = fname(path)
    try:
        with h5py.File(path, "r") as fh:
            roots = list(fh)
            if len(roots) != 1 or "data" not in fh[roots[0]]:
                raise DataError(
                    f"'{file}' is not a computational sequence (one root group with 'data' expected)."
                )
            out = {}
            for key, grp in fh[roots[0]]["data"].items():
                if "features" not in grp or "intervals" not in grp:
                    raise DataError(f"'{file}': entry '{key}' lacks 'features' or 'intervals'.")
                feats, ivals = grp["features"][()], grp["intervals"][()]
                if feats.dtype.kind not in "fiub":
                    return {}  # words as byte strings: not a numeric modality
                if (
                    feats.ndim == 0
                    or ivals.ndim != 2
                    or ivals.shape[1] != 2
                    or feats.shape[0] != ivals.shape[0]
                ):
                    raise DataError(
                        f"'{file}': entry '{key}' has {feats.shape[0] if feats.ndim else 0} "
                        f"feature rows but intervals of shape {ivals.shape}; expected (rows, 2)."
                    )
                out[key] = (np.asarray(feats, dtype=np.float32).reshape(feats.shape[0], -1), ivals)
            _check_widths(out, file)
            return out
    except OSError as exc:
        raise DataError(f"'{file}' is truncated or not an HDF5 file ({exc}).") from None


def _check_widths(entries: dict[str, tuple[np.ndarray, np.ndarray]], file: str) -> None:
    """Every entry of one sequence must have the same number of features per row (at least 1)."""
    widths = {key: feats.shape[1] for key, (feats, _) in entries.items()}
    if not widths:
        return
    first = next(iter(widths))
    for key, width in widths.items():
        if width == 0 or width != widths[first]:
            raise DataError(
                f"'{file}': entry '{key}' has {width} features per row but entry '{first}' has "
                f"{widths[first]}; every entry of a sequence must have the same width."
            )


def _roles(folder: Path, files: dict | None) -> tuple[dict[str, Path], list[str]]:
    """Map roles (labels, language, audio, visual) to files, by the ``files`` option or name."""
    if files:
        roles = {}
        for role, name in files.items():
            p = folder / name
            if not p.is_file():
                raise ConfigError(f"'{fname(folder)}' has no file '{name}' (given for {role}).")
            roles[RENAME_ROLE.get(role, role)] = p
        return roles, []
    roles, ignored = {}, []
    for p in sorted(folder.glob("*.csd")):
        low = p.stem.lower().replace(" ", "").replace("-", "")
        hits = [r for r, words in _ROLE_WORDS.items() if any(w in low for w in words)]
        if "timestampedwords" in low and "vector" not in low:
            hits = []  # the words themselves (byte strings)
        if not hits:
            ignored.append(p.name)
            continue
        role = hits[0]
        if role in roles:
            raise ConfigError(
                f"'{fname(folder)}' has several .csd files for {role} ({roles[role].name}, "
                f"{p.name}); choose with the files option."
            )
        roles[role] = p
    return roles, ignored


RENAME_ROLE = {"text": "language", "vision": "visual", "label": "labels"}


def load_csd(
    path: str | Path,
    *,
    primary: str = "language",
    files: dict | None = None,
    seq_len: int = 50,
    folds: str = "auto",
    seed: int = 0,
) -> MultimodalDataset:
    """Load a folder of computational sequences aligned onto the primary modality.

    Parameters
    ----------
    path : path
        Folder of ``.csd`` files.
    primary : str
        Primary modality; its rows define the steps of each segment.
    files : dict, optional
        Role → file name (roles ``labels``, ``language``, ``audio``, ``visual``); by default
        roles are recognised from the file names (``*Label*``, ``*WordVectors*``/``glove``,
        ``COVAREP``, ``FACET``/``OpenFace``).
    seq_len : int
        Steps per item (default 50).
    folds : {"auto", "mosi", "seeded"}
        ``mosi``: the standard CMU-MOSI folds; ``seeded``: a 75/12.5/12.5 split of the videos;
        ``auto``: ``mosi`` when every video belongs to those folds.
    seed : int
        Seed of the seeded split.

    Raises
    ------
    DataError
        Unreadable file, no labels sequence, mismatched rows, NaN values or labels, empty split.
    """
    folder = Path(path)
    name = fname(folder)
    if not isinstance(seq_len, int) or seq_len < 1:
        raise ConfigError(f"seq_len must be a positive integer, got {seq_len!r}.")
    roles, ignored = _roles(folder, files)
    if "labels" not in roles:
        raise DataError(f"'{name}' has no labels sequence (a .csd file named like '*Labels*').")
    mods = [m for m in ("language", "audio", "visual") if m in roles]
    if primary not in mods:
        raise ConfigError(
            f"primary modality '{primary}' is not in '{name}'; found {', '.join(mods) or 'none'}."
        )
    label_seq = read_csd(roles["labels"])
    seqs = {m: read_csd(roles[m]) for m in mods}
    sanitised = {m: 0 for m in mods}
    for m in mods:
        if not seqs[m]:
            raise DataError(f"'{roles[m].name}' holds no numeric features for {m}.")
        for key, (feats, ivals) in seqs[m].items():
            if m == "audio":
                feats, count = sanitise_neg_inf(feats)
                sanitised[m] += count
                seqs[m][key] = (feats, ivals)
            check_finite(feats, roles[m].name, f"entry '{key}'")
    order = [primary, *[m for m in mods if m != primary]]
    items, ys, videos = [], [], []
    skipped = {"no primary steps": 0, "missing in a modality": 0}
    for key, (lab, ivals) in label_seq.items():
        match = _SEGMENT.match(key)
        video = match.group(1) if match else key
        for i in range(lab.shape[0]):
            seg_key = key if match else f"{key}[{i}]"
            y = float(lab[i, 0])
            if not np.isfinite(y):
                raise DataError(f"'{roles['labels'].name}': segment '{seg_key}' has a NaN label.")
            rows = {m: seqs[m].get(seg_key) or seqs[m].get(video) for m in order}
            if any(r is None for r in rows.values()):
                skipped["missing in a modality"] += 1
                continue
            item = _align(rows, order, ivals[i])
            if item is None:
                skipped["no primary steps"] += 1
                continue
            items.append(item)
            ys.append(y)
            videos.append(video)
    if not items:
        raise DataError(f"'{name}': no labelled segment has {primary} steps in every modality.")
    check_sentiment(np.asarray(ys), roles["labels"].name, "its segments")
    modalities = {m: _pad([it[m] for it in items], seq_len) for m in order}
    splits, fold_note = _splits(np.asarray(videos), folds, seed, name)
    notes = {
        "sanitised": sanitised,
        "files": {r: p.name for r, p in roles.items()},
        "split": fold_note,
        "skipped_segments": skipped,
        "alignment": f"averaged onto '{primary}' intervals; first {seq_len} steps, zero-padded at the start",
    }
    if ignored:
        notes["ignored_files"] = ignored
    return MultimodalDataset(
        modalities={m: modalities[m] for m in mods},
        labels=np.asarray(ys, dtype=np.float32),
        task="regression",
        splits=splits,
        primary=primary,
        name=name,
        notes=notes,
    )


def _align(rows: dict, order: list[str], segment: np.ndarray) -> dict | None:
    """One segment: primary rows inside it, others averaged over overlapping rows."""
    feats, ivals = rows[order[0]]
    mid = ivals.mean(axis=1)
    inside = (mid >= segment[0]) & (mid < segment[1])
    if not inside.any():
        return None
    p_iv = ivals[inside]
    out = {order[0]: feats[inside]}
    for m in order[1:]:
        f, iv = rows[m]
        overlap = (iv[None, :, 0] < p_iv[:, None, 1]) & (iv[None, :, 1] > p_iv[:, None, 0])
        count = overlap.sum(axis=1, keepdims=True)
        out[m] = (overlap.astype(np.float32) @ f) / np.maximum(count, 1)
    return out


def _pad(seqs: list[np.ndarray], t: int) -> np.ndarray:
    out = np.zeros((len(seqs), t, seqs[0].shape[1]), dtype=np.float32)
    for i, s in enumerate(seqs):
        s = s[:t]
        out[i, t - len(s) :] = s
    return out


def _splits(videos: np.ndarray, folds: str, seed: int, name: str) -> tuple[dict, str]:
    known = {v: s for s, ids in MOSI_FOLDS.items() for v in ids}
    if folds not in ("auto", "mosi", "seeded"):
        raise ConfigError(f"folds '{folds}' is not valid; choose auto, mosi or seeded.")
    unique = np.unique(videos)
    if folds == "mosi" or (folds == "auto" and all(v in known for v in unique)):
        outside = [v for v in unique if v not in known]
        if outside:
            raise DataError(
                f"'{name}': video '{outside[0]}' is not in the standard CMU-MOSI folds "
                f"({len(outside)} such videos); use folds = 'seeded'."
            )
        splits = {s: np.flatnonzero([known[v] == s for v in videos]) for s in SPLITS}
        note = "standard CMU-MOSI folds (52 / 10 / 31 videos)"
    else:
        by_video = seeded_split(len(unique), seed)
        splits = {s: np.flatnonzero(np.isin(videos, unique[i])) for s, i in by_video.items()}
        note = f"seeded 75/12.5/12.5 split of {len(unique)} videos (seed {seed})"
    for s in SPLITS:
        if splits[s].size == 0:
            raise DataError(f"'{name}': the {s} split is empty ({note}).")
    return splits, note
