"""Forms of the login, the password change and the user pages.

Validators sit on the class (microblog's ``auth/forms.py`` layout); buttons
that only POST use :class:`EmptyForm` so that they, too, carry a CSRF token.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, InputRequired, Length, ValidationError

from survey_app import storage
from survey_app.auth.passwords import MAX_PASSWORD_LENGTH, PasswordRejected, check_new_password


def _as_sentence(exc: Exception) -> str:
    """A storage error ("unknown role 'x' ...") as a form message: capital, full stop."""
    text = str(exc)
    return f"{text[:1].upper()}{text[1:]}."


class EmptyForm(FlaskForm):
    """A POST-only button (log out, disable, reset): just the CSRF token."""


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter your email address."), Length(max=storage.users.MAX_EMAIL_LENGTH)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password."), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


def _new_password_rules(form, field):
    try:
        check_new_password(field.data)
    except PasswordRejected as exc:
        raise ValidationError(f"The new password is not accepted: {exc}.") from None


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password."), _new_password_rules],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            InputRequired("Type the new password a second time."),
            EqualTo("new_password", "The two new passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _role_choices():
    return [SelectChoice(role, f"{role} \u2013 {storage.ROLE_DESCRIPTIONS[role]}")
            for role in storage.ROLES]


class RoleForm(FlaskForm):
    """A role and, for a manager, the department."""

    role = SelectField("Role", choices=_role_choices(), validators=[InputRequired("Choose a role.")])
    department = StringField(
        "Department (managers only)",
        validators=[Length(max=storage.users.MAX_DEPARTMENT_LENGTH)],
        description="Spelt exactly as in the roster, e.g. Sales.",
    )

    def validate_department(self, field):
        if self.role.data not in storage.ROLES:
            return  # the role's own error says what is wrong
        try:
            storage.check_role(self.role.data, field.data)
        except storage.UserError as exc:
            raise ValidationError(_as_sentence(exc)) from None


class CreateUserForm(RoleForm):
    email = EmailField(
        "Email address",
        validators=[InputRequired("Enter the new user's email address.")],
        render_kw={"spellcheck": "false"},
    )

    def validate_email(self, field):
        try:
            storage.normalise_email(field.data)
        except storage.UserError as exc:
            raise ValidationError(_as_sentence(exc)) from None
