"""Trinity Pulse survey app: the application factory."""

from __future__ import annotations

import os

from flask import Flask


def create_app(test_config=None):
    """Create and configure the app.

    Parameters
    ----------
    test_config : mapping, optional
        Settings that override :class:`survey_app.config.Config` and the
        environment (tests pass ``TESTING``, ``DATABASE``, ``SECRET_KEY``...).
        ``INSTANCE_PATH`` (absolute) moves the instance folder.
    """
    from survey_app import db
    from survey_app.config import (
        DEFAULT_DATABASE_FILE,
        Config,
        load_or_create_secret_key,
    )

    # Tests keep the instance folder (secret key, outbox, checked rosters)
    # under their own temporary folder instead of the checkout's.
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(Config)
    if test_config is not None:
        app.config.from_mapping(test_config)

    # The instance folder holds the database, the secret key and links
    # files: created for its owner only (analysis.files).
    from analysis.files import make_private_dir

    make_private_dir(app.instance_path)
    if not app.config.get("DATABASE"):
        app.config["DATABASE"] = os.path.join(app.instance_path, DEFAULT_DATABASE_FILE)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)

    from survey_app.auth.passwords import below_minimum

    weak = below_minimum(app.config["PASSWORD_HASH_PARAMS"])
    if weak and not app.testing:
        raise RuntimeError(
            f"PASSWORD_HASH_PARAMS below OWASP's minimum for argon2id: {', '.join(weak)}"
        )

    db.init_app(app)

    from survey_app import security

    security.init_app(app)

    from survey_app import auth, reports
    from survey_app.survey import bp as survey_bp

    app.register_blueprint(survey_bp)
    auth.init_app(app)
    app.register_blueprint(reports.bp)

    from survey_app.admin import bp as admin_bp

    app.register_blueprint(admin_bp)
    return app
