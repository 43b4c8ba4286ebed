"""Human-readable transcript (PDF): the learner's credentials, stacks with their components and
their statuses, each with its verification link and a QR code to it.

Needs a TrueType font with Georgian glyphs: DejaVu Sans (Debian: fonts-dejavu-core) is looked
for in the usual places, or pass `font_path`. The same record gives the same bytes.
"""

import io
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from ledger.domain.status import ACTIVE, REVOKED, SUSPENDED, UNDER_REVIEW
from ledger.projections.exports.formatting import number, qr_png, timestamp
from ledger.projections.exports.model import Credential, ExportInput

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),  # Debian, Ubuntu
    Path("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf"),  # Fedora
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),  # Arch
)
STATUS = {ACTIVE: "Active", SUSPENDED: "SUSPENDED", REVOKED: "REVOKED",
          UNDER_REVIEW: "Under review"}
QR_SIZE = 24  # mm
RED, BLACK, GREY = (170, 0, 0), (0, 0, 0), (90, 90, 90)


class FontNotFound(RuntimeError):
    """No TrueType font that can print Georgian: a deployment problem, not the learner's."""


def find_font(font_path: Path | None = None) -> Path:
    candidates = (font_path,) if font_path else FONT_CANDIDATES
    for candidate in candidates:
        if candidate and candidate.is_file():
            return candidate
    raise FontNotFound(
        "no TrueType font with Georgian glyphs for the PDF transcript: install DejaVu Sans "
        "(Debian/Ubuntu: apt-get install fonts-dejavu-core) or pass font_path; looked at "
        + ", ".join(str(c) for c in candidates))


class Transcript(FPDF):
    def __init__(self, record: ExportInput, font: Path) -> None:
        super().__init__(format="A4")
        self.record = record
        bold = font.with_name(font.stem + "-Bold" + font.suffix)
        self.add_font("body", "", str(font))
        self.add_font("body", "B", str(bold if bold.is_file() else font))
        self.set_auto_page_break(True, margin=20)
        self.set_creation_date(datetime.fromisoformat(timestamp(record.as_of)))
        self.set_title("Transcript of micro-credentials")
        self.set_creator("National learner-record ledger")

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("body", "", 7)
        self.set_text_color(*GREY)
        self.cell(0, 4, f"Statuses as of {timestamp(self.record.as_of)}. Check any credential "
                        f"at its link or QR code.   Page {self.page_no()}/{{nb}}", align="C")

    def write_line(self, text: str, size: float = 9, style: str = "", color=BLACK,
                   width: float = 0, link: str = "") -> None:
        self.set_font("body", style, size)
        self.set_text_color(*color)
        self.multi_cell(width, size * 0.5, text, link=link or None, new_x="LMARGIN",
                        new_y="NEXT")


def transcript_pdf(record: ExportInput, font_path: Path | None = None) -> bytes:
    """The learner's transcript as PDF bytes."""
    pdf = Transcript(record, find_font(font_path))
    pdf.add_page()
    header(pdf, record)
    for item in record.top_level():
        entry(pdf, record, item, indent=0)
        for part in record.components(item) if item.is_stack else ():
            entry(pdf, record, part, indent=8)
    if not record.credentials:
        pdf.write_line("No credential is recorded for this learner.")
    return bytes(pdf.output())


def header(pdf: Transcript, record: ExportInput) -> None:
    learner = record.learner
    pdf.write_line("Transcript of micro-credentials", size=16, style="B")
    pdf.write_line(f"National learner-record ledger of {record.operator.name}", color=GREY)
    pdf.ln(3)
    pdf.write_line(learner.full_name or "Name withheld: the learner's personal data were erased",
                   size=13, style="B")
    if learner.birth_date:
        pdf.write_line(f"Date of birth: {learner.birth_date}")
    pdf.write_line(f"Learner id: {learner.id}", color=GREY)
    pdf.ln(4)


def entry(pdf: Transcript, record: ExportInput, item: Credential, indent: float) -> None:
    """One credential: its facts on the left, the QR code of its verify URL on the right."""
    if pdf.will_page_break(QR_SIZE + 4):
        pdf.add_page()
    top, left = pdf.get_y(), pdf.l_margin + indent
    verify = record.urls.verification(item.id)
    pdf.image(io.BytesIO(qr_png(verify)), x=pdf.w - pdf.r_margin - QR_SIZE, y=top,
              w=QR_SIZE, h=QR_SIZE)
    width = pdf.w - pdf.r_margin - QR_SIZE - 4 - left
    pdf.set_x(left)
    kind = "Stack" if item.is_stack else ("Component" if indent else "Credential")
    pdf.write_line(f"{kind}: {item.title}", size=11, style="B", width=width)
    for text in facts(record, item):
        pdf.set_x(left)
        pdf.write_line(text, width=width)
    pdf.set_x(left)
    status = STATUS.get(item.status, item.status)
    pdf.write_line(f"Status: {status}", style="B", width=width,
                   color=BLACK if item.status == ACTIVE else RED)
    pdf.set_x(left)
    pdf.write_line(f"Verify: {verify}", size=8, color=GREY, width=width, link=verify)
    pdf.set_y(max(pdf.get_y(), top + QR_SIZE) + 4)


def facts(record: ExportInput, item: Credential) -> list[str]:
    lines = [f"Awarded by {record.provider_of(item).name} on {item.awarded_on}",
             f"{number(item.ects)} ECTS credits, EQF level {item.eqf_level}"]
    if item.grade:
        lines.append(f"Grade: {item.grade}")
    return lines
