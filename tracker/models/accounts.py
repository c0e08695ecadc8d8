from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in: staff with one or more roles, or a learner."""

    is_teacher = models.BooleanField("teacher (assessor)", default=False)
    is_internal_verifier = models.BooleanField("internal verifier", default=False)
    is_centre_admin = models.BooleanField("centre admin", default=False)
    is_new_assessor = models.BooleanField(
        "new assessor", default=False, help_text="All of a new assessor's learners are sampled"
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
