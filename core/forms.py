from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from core import services
from core.dates import in_range, out_of_range


class LoginForm(AuthenticationForm):
    error_messages = {
        # One message for every failure, so nobody learns whether a user exists.
        "invalid_login": _("The username or password is not correct."),
        "inactive": _("The username or password is not correct."),
    }

    def confirm_login_allowed(self, user):
        """With local passwords off (KAM_LOCAL_PASSWORDS), only the break-glass
        administrators sign in with a password; everyone else uses company
        sign-in."""
        super().confirm_login_allowed(user)
        if not settings.KAM_LOCAL_PASSWORDS and (
            user.username not in settings.KAM_BREAK_GLASS_USERS
        ):
            raise forms.ValidationError(
                _("Sign in with %(provider)s.")
                % {"provider": settings.KAM_OIDC_PROVIDER_NAME},
                code="local_passwords_off",
            )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username"})
        self.fields["password"].widget.attrs.update(
            {"autocomplete": "current-password"}
        )


class OutboxPasswordResetForm(PasswordResetForm):
    """Password reset whose email goes through the outbox."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        html = (
            render_to_string(html_email_template_name, context)
            if html_email_template_name
            else ""
        )
        services.message_queue(
            to=[to_email],
            subject=subject,
            body_text=render_to_string(email_template_name, context),
            body_html=html,
            from_email=from_email,
            related=context.get("user"),
        )


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *services.OutboundMessage.Status.choices],
    )


def messages_from_form(request, form) -> None:
    """Show a form's errors as messages (for small forms that redirect back)."""
    from django.contrib import messages

    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def run_service(form, service, **kwargs):
    """Call a service; show its ApplicationError on the form and return None."""
    from core.exceptions import ApplicationError

    try:
        return service(**kwargs)
    except ApplicationError as exc:
        field = exc.extra.get("field")
        form.add_error(field if field in form.fields else None, exc.message)
        return None


def _sane_date(value) -> None:
    if value is not None and not in_range(value):
        raise forms.ValidationError(out_of_range(), code="date_range")


class DatesInRange:
    """Every date and date-time field of the form takes only EARLIEST–LATEST
    (core.dates), with a clear message: a typed year 0092 is refused."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                field.validators.append(_sane_date)


class Form(DatesInRange, forms.Form):
    pass


class ModelForm(DatesInRange, forms.ModelForm):
    pass
