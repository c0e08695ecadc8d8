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


def demo_pdf(title: str) -> bytes:
    """Return a small, valid one-page PDF showing the title (demo evidence)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")[:80]
    stream = f"BT /F1 14 Tf 50 780 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
