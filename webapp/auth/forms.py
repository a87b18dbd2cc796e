"""Sign-in and password-reset forms."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class TextForm(FlaskForm):
    """A form that reads only the posted text fields. Flask-WTF would otherwise mix uploaded
    files and JSON values into the field data, and a file posted as the e-mail is no string."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):  # given explicitly
                return formdata
            return request.form if request.method in ("POST", "PUT", "PATCH", "DELETE") else None


def _email_field() -> EmailField:
    return EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(message=_l("Enter your e-mail.")),
            Length(max=255, message=_l("An e-mail address has at most 255 characters.")),
            Regexp(EMAIL_PATTERN, message=_l("Enter an e-mail address like name@example.com.")),
        ],
        render_kw={"autocomplete": "username", "inputmode": "email"},
    )


class LoginForm(TextForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in"))


class ForgotPasswordForm(TextForm):
    email = _email_field()


class ResetPasswordForm(TextForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(message=_l("Enter a new password.")),
            Length(min=10, max=200, message=_l("Use between 10 and 200 characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(message=_l("Enter the new password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
