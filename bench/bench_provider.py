"""An e-mail provider for the outbox benchmark: answers after BENCH_PROVIDER_MS
milliseconds (an HTTP API's round trip) and logs each message it accepts, so the
benchmark can count deliveries across worker processes."""

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    def send_messages(self, messages):
        time.sleep(int(os.environ.get("BENCH_PROVIDER_MS", "50")) / 1000)
        with open(os.environ["BENCH_PROVIDER_LOG"], "a") as log:
            for message in messages:
                log.write(f"{message.extra_headers['Message-ID']}\n")
        return len(messages)
