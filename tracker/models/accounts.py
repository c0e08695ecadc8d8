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


class Invitation(models.Model):
    """How an account without a password is brought to its first sign-in.

    `invited_at` is the last invitation email (the link itself is a token, never stored);
    `code_hash` the keyed hash of the one-time code on the last printed sign-in letter,
    usable until `code_expires_at`; `used_at` when the person set a password through either.
    "Signed in" comes from the account's own `last_login`.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="invitation")
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    letter_printed_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Invitation for {self.user}"
