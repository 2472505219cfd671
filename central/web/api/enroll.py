"""POST /api/v1/enroll: a box joins the fleet with a single-use token."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from central.services.enrollment import Enrollment, EnrollmentRequest, EnrollmentService


@dataclass
class EnrollIn:
    """What the box sends."""

    token: str
    serial: str
    hostname: str
    version: str
    wg_public_key: str


class EnrollController(Controller):
    """Enrollment of boxes."""

    path = "/api/v1/enroll"
    tags = ["fleet"]  # noqa: RUF012 (Litestar reads a class attribute)

    @post("/")
    async def enroll(
        self, data: JSONBody[EnrollIn], enrollment: NamedDependency[EnrollmentService]
    ) -> Enrollment:
        """Trade the token for a device id, a device token and a tunnel address (201)."""
        return await enrollment.enroll(EnrollmentRequest(**dataclasses.asdict(data)))
