"""Leads: screening contacts, de-duplicating people, and the cleaned lead list.

- :mod:`~northstar.leads.phones`: one phone number read with phonenumbers (E.164, validity, type,
  region, carrier, extension) and its digit flags;
- :mod:`~northstar.leads.emails`: e-mail normalisation, syntax rule, disposable domains;
- :mod:`~northstar.leads.screen`: :func:`screen`, the columns added to every lead and the reject rule;
- :mod:`~northstar.leads.dedupe`: :func:`dedupe`, one person per phone or e-mail, the lead kept;
- :mod:`~northstar.leads.clean`: :func:`clean_leads` → :class:`CleanResult`, and :func:`write_clean`;
- :mod:`~northstar.leads.reader`: lead files (CSV, Excel) to a frame, and ``--map`` pairs;
- :mod:`~northstar.leads.words`: the en/zh words of the files and tables;
- :mod:`~northstar.leads.table`: a lead set as a table the engines read (screened, de-duplicated, rated).

Screening, de-duplication and cleaning are pure: pandas in, pandas out.
"""
