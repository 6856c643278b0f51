from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import oidc, two_factor_views, webhooks
from core import views as core_views
from core.forms import OutboxPasswordResetForm
from home import api, views

admin.site.site_header = "KAM"
admin.site.site_title = "KAM"

core_patterns = (
    [
        path("", views.home, name="home"),
        path("floor/", views.floor, name="floor"),
        path("outbox/", core_views.outbox_list, name="outbox"),
        path("outbox/<int:pk>/", core_views.outbox_detail, name="outbox-detail"),
        path("outbox/<int:pk>/html/", core_views.outbox_html, name="outbox-html"),
        path("notifications/", core_views.notification_list, name="notifications"),
        path(
            "notifications/<int:pk>/",
            core_views.notification_open,
            name="notification-open",
        ),
        path("exports/<int:pk>/", core_views.export_detail, name="export"),
        path(
            "exports/<int:pk>/download/",
            core_views.export_download,
            name="export-download",
        ),
        path(
            "notifications/read/",
            core_views.notification_read_all,
            name="notifications-read",
        ),
    ],
    "core",
)

auth_patterns = [
    path("login/", two_factor_views.KamLoginView.as_view(), name="login"),
    # company sign-in (core.oidc): a 404 unless configured
    path("oidc/authenticate/", oidc.authenticate_view, name="oidc_authentication_init"),
    path("oidc/callback/", oidc.callback_view, name="oidc_authentication_callback"),
    path("two-factor/", two_factor_views.manage, name="two-factor"),
    path("two-factor/code/", two_factor_views.verify, name="two-factor-verify"),
    path("two-factor/setup/", two_factor_views.setup, name="two-factor-setup"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password-change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=OutboxPasswordResetForm,
            email_template_name="emails/core/password_reset.txt",
            html_email_template_name="emails/core/password_reset.html",
            subject_template_name="emails/core/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", include(core_patterns)),
    path("auth/", include(auth_patterns)),
    path("accounts/", include("accounts.urls")),
    # accepting an offer makes a contract: those pages belong to contracts, at the
    # paths the customer's link and the offer page have always used
    path("offers/", include("contracts.acceptance_urls")),
    path("offers/", include("offers.urls")),
    path("contracts/", include("contracts.urls")),
    path("portal/", include("portal.urls")),
    path("renewals/", include("renewals.urls")),
    path("insights/", include("planning.urls")),
    path("insights/", include("insights.urls")),
    path("anymail/", include((webhooks.urlpatterns(), "anymail"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("favicon.ico", core_views.favicon),
    path("api/v1/me/", api.me, name="api-me"),
    path("api/v1/auth/token/", api.TokenView.as_view(), name="api-token"),
    path("api/v1/", include(api.router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        # Swagger UI sets a few inline styles; its scripts stay external.
        csp_update({"style-src": [SELF, UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="swagger-ui",
    ),
]

# Uploaded files are never served from MEDIA_URL, not even with DEBUG: only the
# access-checked download views hand them out (core.downloads).

handler404 = "core.drf.not_found"
handler500 = "core.views.server_error"
