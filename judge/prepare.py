"""Preparing a ground truth at task creation: validate it, fix the split, store it (SPEC §4).

Every refusal is a :class:`TruthError` whose message is for the organizer. A truth is refused
now, rather than every submission failing later, when the metric cannot give a number on a
part of the split: the perfect and the sample submission are scored on each part first.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.errors import ParticipantVisibleError
from judge.metrics import Metric, Shape, get_metric
from judge.reader import read_table
from judge.scoring import part_scores
from judge.truth import (
    LABEL_SHAPES,
    USAGE,
    RatingRange,
    Solution,
    TruthError,
    perfect_submission,
    rating_classes,
    sample_submission,
    solution_from_frame,
    sorted_classes,
)

# The confusion matrix (and its bootstrap) grows with the square of the scale's length.
MAX_RATINGS = 1000
_RANGE = re.compile(r"^\s*(-?\d+)\s*(?:\.\.|-|~|,)\s*(-?\d+)\s*$")


@dataclass(frozen=True)
class PreparedTruth:
    path: Path
    sha256: str
    rows: int
    public_rows: int
    classes: tuple[str, ...]
    rating_range: RatingRange | None  # qwk: the scale in force (declared or the truth's)


def parse_rating_range(text: str) -> RatingRange:
    """``1..5`` (or ``1-5``, ``1~5``) → (1, 5)."""
    match = _RANGE.match(text)
    if match is None:
        raise TruthError("A rating range is written like 1..5, not %(text)s.", text=repr(text))
    low, high = int(match[1]), int(match[2])
    if high <= low:
        raise TruthError("The rating range must go from a lower to a higher rating.")
    if high - low + 1 > MAX_RATINGS:
        raise TruthError("A rating range may hold at most %(count)d ratings.", count=MAX_RATINGS)
    return low, high


def _ratings(metric: Metric, target: pd.Series, declared: RatingRange | None) -> RatingRange:
    """The scale of an ordinal metric: the declared one, or the truth's lowest..highest."""
    values = pd.to_numeric(target, errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).any() or not np.isfinite(values).all() or (values % 1 != 0).any():
        raise TruthError(
            "%(metric)s needs whole-number ratings in the target column.", metric=metric.name
        )
    if declared is None:
        low, high = int(values.min()), int(values.max())
        if high - low + 1 > MAX_RATINGS:
            raise TruthError(
                "A rating range may hold at most %(count)d ratings.", count=MAX_RATINGS
            )
        return low, high
    low, high = declared
    if (values < low).any() or (values > high).any():
        raise TruthError(
            "The ground truth holds ratings outside the declared range %(low)d..%(high)d.",
            low=low,
            high=high,
        )
    return declared


def _check_truth_for(metric: Metric, target: pd.Series) -> tuple[str, ...]:
    shape = metric.shape
    if shape in LABEL_SHAPES:
        classes, _values = sorted_classes(target)
        if len(classes) < metric.min_classes:
            raise TruthError(
                "%(metric)s needs at least %(count)d classes.",
                metric=metric.name,
                count=metric.min_classes,
            )
        if metric.max_classes is not None and len(classes) > metric.max_classes:
            raise TruthError(
                "%(metric)s takes %(allowed)d classes, found %(count)d.",
                metric=metric.name,
                allowed=metric.max_classes,
                count=len(classes),
            )
        return classes
    if shape is Shape.VALUE:
        values = pd.to_numeric(target, errors="coerce")
        if values.isna().any() or not np.isfinite(values).all():
            raise TruthError("The target must be numeric for %(metric)s.", metric=metric.name)
        if metric.above_minus_one and (values <= -1).any():
            raise TruthError("%(metric)s needs targets greater than -1.", metric=metric.name)
    if shape is Shape.RANKED and (target.str.strip() == "").any():
        raise TruthError(
            "Every row needs at least one relevant label for %(metric)s.", metric=metric.name
        )
    return ()


def _check_splits(
    metric: Metric, target: pd.Series, usage: np.ndarray, classes: tuple[str, ...]
) -> None:
    """Refuse now, in words, the usual splits on which the metric would be undefined.

    Probability and ranking metrics need every class in each split; label metrics need two
    (kappa and MCC are undefined on a single class). ``_check_defined`` catches the rest.
    """
    if metric.shape is Shape.LABEL and len(set(target)) >= 2:
        for split in ("Public", "Private"):
            part = set(target[usage == split])
            if len(part) == 1 and split == "Public":
                raise TruthError(
                    "The public split holds only the class %(label)s; "
                    "use a larger public fraction or a Usage column.",
                    label=str(part.pop()),
                )
            if len(part) == 1:
                raise TruthError(
                    "The private split holds only the class %(label)s; "
                    "use a larger public fraction or a Usage column.",
                    label=str(part.pop()),
                )
    if metric.shape not in (Shape.PROBABILITY, Shape.SCORE, Shape.CLASS_PROBABILITIES):
        return
    for split in ("Public", "Private"):
        part = set(target[usage == split])
        if part and part != set(classes):
            missing = ", ".join(sorted(set(classes) - part))
            if split == "Public":
                raise TruthError(
                    "The public split has no row of class(es) %(classes)s; %(metric)s needs "
                    "every class in both splits (use a larger public fraction or a Usage column).",
                    classes=missing,
                    metric=metric.name,
                )
            raise TruthError(
                "The private split has no row of class(es) %(classes)s; %(metric)s needs "
                "every class in both splits (use a larger public fraction or a Usage column).",
                classes=missing,
                metric=metric.name,
            )


def _undefined(solution: Solution, part: str, rows: int) -> TruthError:
    if part == "public":
        return TruthError(
            "%(metric)s gives no number on the public part of this split (%(rows)d rows); "
            "use a larger public fraction or a Usage column.",
            metric=solution.metric.name,
            rows=rows,
        )
    return TruthError(
        "%(metric)s gives no number on the private part of this split (%(rows)d rows); "
        "use a larger public fraction or a Usage column.",
        metric=solution.metric.name,
        rows=rows,
    )


def _check_defined(solution: Solution) -> None:
    """Score the perfect and the sample submission on each part: every score must be a number.

    A custom metric reads columns of its own choosing: a file it cannot read is not held
    against the task (its sample is its author's business), a NaN or inf it gives is.
    """
    bodies = [perfect_submission(solution), sample_submission(solution)]
    sizes = {"public": int(solution.public.sum()), "private": int((~solution.public).sum())}
    for body in bodies:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # scikit-learn's UndefinedMetricWarning
                scores = part_scores(solution, body.encode("utf-8"), "truth.csv")
        except Exception as exc:
            if solution.shape is Shape.CUSTOM:
                continue  # it wants columns of its own: nothing to try with this file
            if isinstance(exc, ParticipantVisibleError):  # our own files refused: say why
                raise TruthError(exc.template, **exc.params) from exc
            raise
        for part, value in scores.items():
            if not np.isfinite(value):
                raise _undefined(solution, part, sizes[part])


def _split(
    frame: pd.DataFrame,
    ids: pd.Series,
    *,
    public_fraction: float,
    usage_column: str | None,
    keep_split_of: Path | None,
    id_column: str,
) -> pd.Series:
    """The Usage of each row: kept from an older truth, read from a column, or drawn."""
    if keep_split_of is not None:
        old = pd.read_csv(keep_split_of, dtype=str, keep_default_na=False).set_index(id_column)
        if len(old) != len(ids) or not ids.isin(old.index).all():
            raise TruthError("The new ground truth must hold exactly the ids of the old one.")
        return old.loc[ids.to_numpy(), USAGE].reset_index(drop=True)
    if usage_column:
        if usage_column not in frame.columns:
            raise TruthError(
                "The ground truth has no usage column %(column)s.", column=repr(usage_column)
            )
        usage = frame[usage_column].str.strip().str.capitalize()
        if not usage.isin(["Public", "Private"]).all():
            raise TruthError(
                "%(column)s must hold only Public or Private.", column=repr(usage_column)
            )
        if not (usage == "Public").any():
            raise TruthError("%(column)s marks no row Public.", column=repr(usage_column))
        if not (usage == "Private").any():
            raise TruthError(
                "%(column)s marks no row Private: the final ranking needs private rows.",
                column=repr(usage_column),
            )
        return usage
    if not 0 < public_fraction < 1:
        raise TruthError("The public fraction must be greater than 0 and less than 1.")
    n_public = max(1, round(len(frame) * public_fraction))
    if n_public >= len(frame):
        shown = f"{public_fraction:g}"
        raise TruthError(
            "A public fraction of %(fraction)s leaves no private row of %(rows)d; "
            "the final ranking needs private rows.",
            fraction=shown,
            rows=len(frame),
        )
    # A secret seed: participants cannot reproduce the split; the stored file fixes it.
    rng = np.random.default_rng(secrets.randbits(64))
    mask = np.zeros(len(frame), dtype=bool)
    mask[rng.choice(len(frame), size=n_public, replace=False)] = True
    return pd.Series(np.where(mask, "Public", "Private"), index=frame.index)


def prepare_truth(
    source: Path,
    dest_dir: Path,
    *,
    id_column: str,
    target_column: str,
    metric: str,
    public_fraction: float = 0.3,
    usage_column: str | None = None,
    keep_split_of: Path | None = None,
    rating_range: RatingRange | None = None,
) -> PreparedTruth:
    """Validate a ground-truth CSV and store it with a fixed ``Usage`` split (SPEC §4).

    ``keep_split_of`` (a replaced truth of the same task) carries the old split over: the new
    file must hold exactly the same ids. ``rating_range`` declares an ordinal metric's scale.
    """
    try:
        frame = read_table(source.read_bytes(), source.name)
    except ParticipantVisibleError as exc:
        # The reader's message names the file; on the task form that file is the truth.
        raise TruthError(exc.template, **exc.params) from exc
    for column in (id_column, target_column):
        if column not in frame.columns:
            raise TruthError(
                "The ground truth has no column %(column)s: %(columns)s.",
                column=repr(column),
                columns=str(list(frame.columns)),
            )
    if frame.empty:
        raise TruthError("The ground truth has no rows.")
    ids = frame[id_column].str.strip()
    if ids.duplicated().any():
        raise TruthError(
            "The ground truth has %(count)d duplicate ids.", count=int(ids.duplicated().sum())
        )
    target = frame[target_column].str.strip()
    scorer = get_metric(metric)
    scale = _ratings(scorer, target, rating_range) if scorer.ordinal else None
    classes = rating_classes(scale) if scale else _check_truth_for(scorer, target)
    usage = _split(
        frame,
        ids,
        public_fraction=public_fraction,
        usage_column=usage_column,
        keep_split_of=keep_split_of,
        id_column=id_column,
    )
    _check_splits(scorer, target, usage.to_numpy(), classes)
    stored = pd.DataFrame({id_column: ids, target_column: target, USAGE: usage.to_numpy()})
    body = stored.to_csv(index=False).encode("utf-8")
    solution = solution_from_frame(
        stored,
        id_column,
        target_column,
        scorer,
        seed=int(hashlib.sha256(body).hexdigest()[:8], 16),
        rating_range=scale,
    )
    _check_defined(solution)
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"{secrets.token_hex(16)}.csv"
    path.write_bytes(body)
    return PreparedTruth(
        path=path,
        sha256=hashlib.sha256(body).hexdigest(),
        rows=len(stored),
        public_rows=int((stored[USAGE] == "Public").sum()),
        classes=solution.classes,
        rating_range=scale,
    )
