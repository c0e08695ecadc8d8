"""The demo centre: who is in it, shared by seed_demo and demo_signins."""

DEMO_CENTRE_NUMBER = "99001"
DEMO_PASSWORD = "coursework-demo"

# username, first name, last name, roles, description
DEMO_STAFF = [
    ("admin", "Alex", "Morgan", {"is_centre_admin"}, "centre admin (exams officer)"),
    (
        "p.shah",
        "Priya",
        "Shah",
        {"is_teacher", "is_internal_verifier"},
        "teacher of 13HSC1, internal verifier for 13HSC2",
    ),
    ("j.okafor", "James", "Okafor", {"is_teacher"}, "teacher of 13HSC2"),
    ("e.walsh", "Emma", "Walsh", {"is_teacher"}, "teacher of 13HSC1 and 13HSC2"),
    (
        "m.hughes",
        "Margaret",
        "Hughes",
        {"is_internal_verifier"},
        "internal verifier for both groups",
    ),
]

DEMO_LEARNERS = [
    ("Amelia", "Khan"),
    ("Oliver", "Bennett"),
    ("Isla", "Roberts"),
    ("Noah", "Adeyemi"),
    ("Ava", "Thompson"),
    ("Leo", "Nowak"),
    ("Mia", "Patel"),
    ("Jack", "O'Connor"),
    ("Sophie", "Williams"),
    ("Harry", "Evans"),
    ("Grace", "Hussain"),
    ("Charlie", "Davies"),
    ("Freya", "Mensah"),
    ("Alfie", "Wright"),
    ("Poppy", "Kowalski"),
    ("Oscar", "Lewis"),
    ("Lily", "Begum"),
    ("George", "Clarke"),
    ("Evie", "Murphy"),
    ("Arthur", "Singh"),
    ("Ruby", "Hall"),
    ("Theo", "Osei"),
    ("Ella", "Jackson"),
    ("Jacob", "Ali"),
    ("Chloe", "Green"),
    ("Muhammad", "Rahman"),
    ("Daisy", "Wood"),
    ("Finley", "Campbell"),
]


def learner_username(first: str, last: str) -> str:
    return f"{first}.{last}".lower().replace("'", "")
