"""Set a real centre up on the server: the centre, its academic year and its first admin."""

import getpass

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import timezone

from tracker.people.forms import FirstRunForm, current_year_name, default_year_dates
from tracker.people.services import SetupError, create_centre, set_password_link, site_address

# Values asked for, in order: option name, question.
QUESTIONS = [
    ("name", "Centre name"),
    ("ocr_number", "OCR centre number (5 digits)"),
    ("year", "Current academic year"),
    ("admin_username", "Centre admin's username"),
    ("admin_email", "Centre admin's email"),
    ("admin_first_name", "Centre admin's first name"),
    ("admin_last_name", "Centre admin's last name"),
]
# Option name -> FirstRunForm field.
FIELDS = {
    "name": "name",
    "ocr_number": "ocr_number",
    "year": "year",
    "starts_on": "starts_on",
    "ends_on": "ends_on",
    "admin_username": "username",
    "admin_email": "email",
    "admin_first_name": "first_name",
    "admin_last_name": "last_name",
    "password": "password",
}
ATTEMPTS = 3


def label_of(form: FirstRunForm, field: str) -> str:
    """Return what a refused value is called (the whole year for errors across fields)."""
    return str(form.fields[field].label) if field in form.fields else "Academic year"


class Command(BaseCommand):
    help = (
        "Create a centre, its current academic year and its first centre admin (not a "
        "superuser). Asks for anything not given as an option; --no-input asks nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", help="The centre's name, e.g. Riverside College")
        parser.add_argument(
            "--centre-number", dest="ocr_number", help="OCR centre number, 5 digits"
        )
        parser.add_argument(
            "--year", help="Current academic year, e.g. 2026/27 (default: this one)"
        )
        parser.add_argument(
            "--starts-on", help="First day of the year, YYYY-MM-DD (default: 1 September)"
        )
        parser.add_argument("--ends-on", help="Last day of the year, YYYY-MM-DD (default: 31 July)")
        parser.add_argument("--admin-username")
        parser.add_argument("--admin-email")
        parser.add_argument("--admin-first-name")
        parser.add_argument("--admin-last-name")
        password = parser.add_mutually_exclusive_group()
        password.add_argument("--password", help="The admin's password (otherwise it is asked for)")
        password.add_argument(
            "--no-password",
            action="store_true",
            help="Set no password: print a one-time link where the admin chooses one",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="Ask nothing: every value must be given as an option",
        )

    def handle(self, *args, **options):
        self.interactive = options["interactive"]
        values = {name: options.get(name) for name in FIELDS}
        values["year"] = values["year"] or (
            None if self.interactive else current_year_name(timezone.localdate())
        )
        for name, question in QUESTIONS:
            if not values[name]:
                values[name] = self.ask(name, question)
        self.fill_dates(values)
        if not values["password"] and not options["no_password"]:
            values["password"] = self.ask_password()
        form = self.checked_form(values)
        data = form.cleaned_data
        try:
            made = create_centre(
                name=data["name"],
                ocr_number=data["ocr_number"],
                year=data["year"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password"] or None,
            )
        except SetupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {made.centre}, academic year {made.year.name} "
                f"({made.year.starts_on:%Y-%m-%d} to {made.year.ends_on:%Y-%m-%d}) and the "
                f"centre admin {made.admin.username}."
            )
        )
        if data["password"]:
            self.stdout.write(f"Sign in at {site_address(reverse('login'))}")
        else:
            self.stdout.write(
                f"{made.admin.get_full_name()} chooses a password at this one-time link "
                f"(it works once, for a few days):\n{set_password_link(made.admin)}\n"
                f"then signs in at {site_address(reverse('login'))}"
            )

    def ask(self, name: str, question: str) -> str:
        """Ask for one value; without input allowed (or at the end of input) refuse."""
        flag = "--" + {"ocr_number": "centre-number"}.get(name, name.replace("_", "-"))
        if not self.interactive:
            raise CommandError(f"Give {flag} (or leave out --no-input to be asked).")
        default = current_year_name(timezone.localdate()) if name == "year" else ""
        prompt = f"{question} [{default}]: " if default else f"{question}: "
        try:
            answer = input(prompt).strip()
        except EOFError:
            raise CommandError(f"No answer for {question.lower()}: give {flag}.") from None
        return answer or default

    def fill_dates(self, values: dict) -> None:
        """Default the year's dates from its name (1 September to 31 July)."""
        if values["starts_on"] and values["ends_on"]:
            return
        dates = default_year_dates(values["year"] or "")
        if dates is None:
            raise CommandError(
                f"Cannot tell the dates of the year {values['year']!r}: name it like 2026/27 "
                "or give --starts-on and --ends-on."
            )
        values["starts_on"] = values["starts_on"] or dates[0].isoformat()
        values["ends_on"] = values["ends_on"] or dates[1].isoformat()

    def ask_password(self) -> str:
        if not self.interactive:
            raise CommandError("Give --password, or --no-password to print a set-password link.")
        for _ in range(ATTEMPTS):
            try:
                first = getpass.getpass("Centre admin's password: ")
                second = getpass.getpass("The same password again: ")
            except EOFError:
                break
            if first and first == second:
                return first
            self.stderr.write("The passwords are empty or differ; try again.")
        raise CommandError("No password chosen: give --password, or --no-password.")

    def checked_form(self, values: dict) -> FirstRunForm:
        """Check every value; when asking is allowed, ask again for the ones refused."""
        for _ in range(ATTEMPTS):
            form = FirstRunForm({FIELDS[name]: value or "" for name, value in values.items()})
            if form.is_valid():
                return form
            problems = [
                f"{label_of(form, field)}: {' '.join(errors)}"
                for field, errors in form.errors.items()
            ]
            if not self.interactive:
                raise CommandError("Nothing was created:\n  " + "\n  ".join(problems))
            for problem in problems:
                self.stderr.write(problem)
            option_of = {field: name for name, field in FIELDS.items()}
            refused = {option_of.get(field) for field in form.errors}
            if "password" in refused:
                values["password"] = self.ask_password()
            for name, question in QUESTIONS:
                if name in refused:
                    values[name] = self.ask(name, question)
            if refused & {"starts_on", "ends_on", None}:
                raise CommandError("Nothing was created: " + " ".join(problems))
        raise CommandError("Nothing was created: too many refused answers.")
