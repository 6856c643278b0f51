"""Signing in with a second factor, and setting it up (core.two_factor)."""

import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login

from core import two_factor
from core.forms import LoginForm
from core.middleware import TWO_FACTOR
from core.models import User

PENDING = "kam_2fa_pending"  # the user who passed the password, for 5 minutes
PENDING_SECONDS = 300


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app, or a recovery code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                      "inputmode": "text", "autofocus": True}),
    )  # fmt: skip


class KamLoginView(LoginView):
    """The password first; a user with an authenticator then gives its code."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        from core import oidc

        return super().get_context_data(
            oidc_enabled=oidc.enabled(),
            oidc_provider=settings.KAM_OIDC_PROVIDER_NAME,
            local_passwords=settings.KAM_LOCAL_PASSWORDS,
            **kwargs,
        )

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.has_device(user):
            self.request.session[PENDING] = {
                "user": user.pk, "backend": user.backend, "at": time.time(),
                "next": self.get_success_url(),
            }  # fmt: skip
            return redirect("two-factor-verify")
        response = super().form_valid(form)
        self.request.session[TWO_FACTOR] = "none"
        return response


def verify(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.info(request, _("Please sign in again."))
        return redirect("login")
    user = User.objects.get(pk=pending["user"])
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user, form.cleaned_data["code"])
        if device is None:
            form.add_error("code", _("This code is not right, or was used already."))
        else:
            request.session.pop(PENDING)
            auth_login(request, user, backend=pending["backend"])
            otp_login(request, device)
            request.session[TWO_FACTOR] = "verified"
            target = pending["next"]
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}
            ):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target)
    return render(request, "registration/two_factor_verify.html", {"form": form})


@login_required
def setup(request):
    """Set up (or replace) the authenticator: scan the code, confirm with a code
    from the app; the recovery codes are shown once."""
    device = two_factor.pending_totp(request.user)
    form = CodeForm(request.POST or None)
    form.fields["code"].label = _("Six-digit code from the app")
    if request.method == "POST" and form.is_valid():
        confirmed = two_factor.confirm(request.user, form.cleaned_data["code"])
        if confirmed is None:
            form.add_error("code", _("This code is not right. Try the current one."))
        else:
            device, codes = confirmed
            otp_login(request, device)
            request.session[TWO_FACTOR] = "verified"
            return render(request, "registration/two_factor_codes.html",
                          {"codes": codes, "first": True})  # fmt: skip
    return render(request, "registration/two_factor_setup.html", {
        "form": form, "qr_svg": two_factor.qr_svg(device),
        "secret": two_factor.secret_of(device),
        "has_device": two_factor.has_device(request.user),
        "required": two_factor.required_for(request.user),
    })  # fmt: skip


@login_required
def manage(request):
    """New recovery codes, or two-factor sign-in off (where it is not required);
    both ask for a current code."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.verify(request.user, form.cleaned_data["code"]) is None:
            form.add_error("code", _("This code is not right, or was used already."))
        elif request.POST.get("action") == "codes":
            codes = two_factor.recovery_codes_new(request.user)
            return render(request, "registration/two_factor_codes.html",
                          {"codes": codes, "first": False})  # fmt: skip
        elif request.POST.get("action") == "off" and not two_factor.required_for(
            request.user
        ):
            two_factor.turn_off(request.user)
            request.session[TWO_FACTOR] = "none"
            messages.success(request, _("Two-factor sign-in is off."))
            return redirect("two-factor")
    return render(request, "registration/two_factor_manage.html", {
        "form": form, "has_device": two_factor.has_device(request.user),
        "required": two_factor.required_for(request.user),
    })  # fmt: skip
