"""Portability exports: pure builders that turn an `ExportInput` into unsigned documents.

One module per format (ob3, clr, edc, elmo, transcript_pdf); none does I/O or signs: the caller
passes everything in (model.py) and signs what comes out.
"""
