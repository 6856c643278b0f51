# Production-like image: gunicorn for the web, the same image runs worker and beat.
# Stage 1 builds KAM's wheel from the checkout (.dockerignore says what is left out);
# stage 2 installs only that wheel, which carries the templates, static files and
# translations (kam/assets/), so the image runs no code from a source tree.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
RUN pip wheel --no-deps -w /wheels .

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=kam.settings.production \
    KAM_VAR_DIR=/app/var

# WeasyPrint's libraries (Pango, HarfBuzz incl. subsetting) and fonts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
      libjpeg62-turbo libopenjp2-7 libffi8 fonts-dejavu-core libmagic1 curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 kam
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels

# collectstatic needs importable settings, not real secrets.
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 CELERY_BROKER_URL=memory:// \
    DEFAULT_FROM_EMAIL=build@localhost \
    OUTBOX_DELIVERY_BACKEND=django.core.mail.backends.locmem.EmailBackend \
    kam collectstatic --noinput -v0 \
 && mkdir -p /app/var/media && chown -R kam:kam /app/var

USER kam
EXPOSE 8000
CMD ["gunicorn", "-c", "python:kam.gunicorn", "kam.wsgi:application", \
     "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*"]
