"""What a report says about a study that the results table cannot tell: the typed study facts.

:class:`StudyFacts` is built by the training side (``repro.reporting``) from a study file and its
store, or for an imported table; the report reads nothing else about the study.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["StudyFacts"]


@dataclass(frozen=True)
class StudyFacts:
    """Plain facts about a study, in the words the report prints.

    Attributes
    ----------
    name : str
        Study name (the report's title).
    description : str
        One sentence on what the study is.
    source : str
        Where the numbers come from (trained here, an export, the authors' files).
    model : str
        The model in words.
    hyperparameters, protocol : dict
        Name → value, printed as tables (the reference setting's).
    settings : dict
        Setting name → what it changes against the reference setting (``{"protocol.draw":
        "independent"}``); empty when the study has one setting.
    data : str
        The data in words.
    compute : dict
        Runs, wall time, devices, versions and commit, from the store (empty without training).
    deviations : tuple of str
        How the protocol differs from the paper's text, one sentence each.
    notes : tuple of str
        Extra lines for the report's file list.
    confusion_source : str
        Where Figure 4's matrices come from.
    confusion_note : str
        A caveat drawn on the Figure 4 image itself (e.g. that it shows another run than the
        tables).
    imported : bool
        The numbers are someone else's results re-analysed here (not runs trained with colearn),
        so the report calls them "re-analysed", not "ours".
    seeds_note : str
        What the seed indices mean, when that needs saying.
    """

    name: str
    description: str = ""
    source: str = "runs trained with colearn"
    model: str = "not recorded"
    hyperparameters: dict = field(default_factory=dict)
    protocol: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    data: str = "not recorded"
    compute: dict = field(default_factory=dict)
    deviations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    confusion_source: str = "stored test predictions"
    confusion_note: str = ""
    imported: bool = False
    seeds_note: str = ""
