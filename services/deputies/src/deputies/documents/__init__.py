"""Printable and downloadable documents: sign-in sheet (DOCX), XLSX exports, iCalendar feeds."""
