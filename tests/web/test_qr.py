"""The PDF transcript's QR codes, read as a phone would (rendered by PDFium, decoded by
Debian's zbarimg), lead to the verification page, which tells each credential's status."""

import shutil
import subprocess

import httpx
import pypdfium2

from tests.web.site import Site


def qr_codes(pdf: bytes, folder) -> list[str]:
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "Debian's zbar-tools is needed (apt-get install zbar-tools)"
    found = []
    document = pypdfium2.PdfDocument(pdf)
    for number in range(len(document)):
        image = folder / f"page-{number}.png"
        document[number].render(scale=3).to_pil().save(image)
        done = subprocess.run([zbarimg, "--raw", "-q", "-Sqrcode.enable", str(image)],
                              capture_output=True, text=True, check=False)
        assert done.returncode in (0, 4), done.stderr  # 4: no code on this page
        found += done.stdout.split()
    return found


def test_the_pdf_qr_codes_open_the_verification_page_with_the_right_status(site: Site,
                                                                          tmp_path):
    urls = qr_codes(site.pdf(), tmp_path)
    expected = {f"{site.base_url}/verify/{cid}": status
                for status, cid in site.credentials.items()}
    assert set(urls) == set(expected)
    headline = {"active": "This credential is valid",
                "suspended": "This credential is suspended",
                "revoked": "This credential has been revoked"}
    for url in urls:
        page = httpx.get(url, headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert f"<h1>{headline[expected[url]]}</h1>" in page.text
        record = httpx.get(url, headers={"Accept": "application/json"}).json()
        assert record["status"] == expected[url]
