"""Trinity Pulse analysis: alignment scores, reliability, knowledge checks and comment themes.

Pure Python on pandas, scikit-learn and nltk. It never imports Flask or the
survey app, so analysts can run it on a copy of the database or on a CSV
export, and the app can call it without the analysis depending on the app.
"""

__version__ = "0.1.0"
