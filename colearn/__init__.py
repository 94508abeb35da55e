"""Foundations shared by both halves of colearn (:mod:`repro` trains, :mod:`analysis` analyses).

Only what both halves need lives here, so that neither has to import the other for it: the
exception hierarchy (:mod:`colearn.errors`) and safe file output (:mod:`colearn.files`).
"""
