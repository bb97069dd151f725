"""Write the analyst notebooks from the cells below (outputs stripped). Run: python notebooks/build_notebooks.py"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent

SETUP = '''import os
from pathlib import Path

from api.settings import Settings

# 数据库位置: ORGGRAPH_DB_PATH (make demo 之后为 data/orggraph.lbug) / where the embedded database is
DB_PATH = Path(os.environ.get("ORGGRAPH_DB_PATH", "data/orggraph.lbug"))
engine = Settings(db_path=DB_PATH).open_engine(read_only=True)
engine.describe()'''

COVERAGE = [
    new_markdown_cell("# Coverage-gap analysis of one subdistrict / 街道党组织覆盖空白点分析\n\n"
                      "本笔记本分析一个街道(默认桂园街道)居民小区、商务楼宇、两新组织的党组织覆盖情况,"
                      "列出空白点及其责任社区党委,并导出 Excel 工作清单。"),
    new_markdown_cell("## Setup / 准备"),
    new_code_cell(SETUP),
    new_code_cell('''import datetime as dt

from queries import answers
from queries.catalog import dataset_as_of, run_catalog

SUBDISTRICT = os.environ.get("ORGGRAPH_SUBDISTRICT", "440303001")  # 桂园街道
AS_OF = dataset_as_of(engine)
AS_OF'''),
    new_markdown_cell("## Coverage by community / 各社区覆盖率"),
    new_code_cell('''rows = [r for r in answers.coverage_summary(engine, "compound", "community", as_of=AS_OF)["rows"]]
by_id = {r["community_id"]: r for r in run_catalog(engine, "coverage_compounds", {"as_of": AS_OF})}
mine = [r for r in rows if by_id[r["area_id"]]["subdistrict_id"] == SUBDISTRICT]
print(f"{'社区':<10}{'小区':>6}{'组织覆盖':>10}{'工作覆盖':>10}")
for r in mine:
    print(f"{r['area_name']:<10}{r['total']:>6}{r['organizational']['rate']:>10.1%}{r['work']['rate']:>10.1%}")
assert mine, "the subdistrict has compounds"'''),
    new_markdown_cell("## Chart / 图表"),
    new_code_cell('''%matplotlib inline
import matplotlib.pyplot as plt
from matplotlib import font_manager

# 中文字体: 有 Noto CJK 就用 / use a CJK font when the machine has one
cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name]
if cjk:
    plt.rcParams["font.family"] = cjk[0]
fig, ax = plt.subplots(figsize=(8, 3))
ax.bar([r["area_name"] for r in mine], [r["organizational"]["rate"] for r in mine], label="组织覆盖率")
ax.set_ylim(0, 1.05)
ax.set_title("居民小区党的组织覆盖率(按社区)")
ax.tick_params(axis="x", rotation=45)
fig.tight_layout()
display(fig)  # noqa: F821 - IPython's display, present in every notebook
plt.close(fig)'''),
    new_markdown_cell("## Gap lists / 空白点清单"),
    new_code_cell('''gaps = {
    "居民小区": answers.gaps(engine, "compound", {"as_of": AS_OF, "mode": "organizational", "subdistrict": SUBDISTRICT}),
    "商务楼宇": answers.gaps(engine, "building", {"as_of": AS_OF, "mode": "organizational", "subdistrict": SUBDISTRICT,
                                                "min_floors": 1}),
    "两新组织": answers.gaps(engine, "enterprise", {"as_of": AS_OF, "mode": "organizational", "subdistrict": SUBDISTRICT}),
}
for kind, rows in gaps.items():
    print(kind, len(rows))
    for r in rows[:5]:
        print("  ", r["id"], r["name"], "缺:", r["missing"], "责任:", r["responsible_name"])'''),
    new_markdown_cell("## Excel export / 导出工作清单"),
    new_code_cell('''from openpyxl import Workbook

book = Workbook()
book.remove(book.active)
for kind, rows in gaps.items():
    sheet = book.create_sheet(kind)
    columns = ["id", "name", "community_name", "missing", "responsible_name"]
    sheet.append(["编号", "名称", "社区", "缺失", "责任社区党委"])
    for r in rows:
        sheet.append([r.get(c) for c in columns])
out = Path(os.environ.get("ORGGRAPH_NOTEBOOK_OUT", ".")) / f"gaps-{SUBDISTRICT}.xlsx"
book.save(out)
print("saved", out)'''),
    new_code_cell("engine.close()"),
]

NETWORK = [
    new_markdown_cell("# Network exploration / 组织关系网络探索\n\n"
                      "从一个同乡村流动党支部出发,看它如何连接到社区党委、街道党工委和区委;"
                      "找出连接网络的关键组织(中介中心性、割点)。"),
    new_markdown_cell("## Setup / 准备"),
    new_code_cell(SETUP),
    new_markdown_cell("## The first mobile branch / 第一个同乡村流动党支部"),
    new_code_cell('''from queries import answers
from queries.catalog import run_catalog

first = run_catalog(engine, "mobile_branches", {})[0]
print(first["name"], first["founded"], first["community_name"], first["origin"])
chain = run_catalog(engine, "org_chain", {"id": first["id"]})
" → ".join(c["name"] for c in chain)'''),
    new_markdown_cell("## Inline network view / 网络视图"),
    new_code_cell('''from IPython.display import HTML

hood = answers.neighbors(engine, {"id": first["group_id"], "label": "HometownGroup"}, depth=2,
                         types=[label for label in answers.NETWORK_LABELS], limit=300)
print(len(hood.nodes), "nodes,", len(hood.edges), "edges")
from graph.views import ego_view

html = ego_view(engine, first["group_id"], depth=2).html()
HTML(f'<iframe srcdoc="{html.replace(chr(34), "&quot;")}" style="width:100%;height:520px;border:0"></iframe>')'''),
    new_markdown_cell("## Who holds the network together / 关键组织"),
    new_code_cell('''from graph import analytics

sub = answers.subgraph(engine, "subdistrict", {"id": "440303002", "label": "Subdistrict"}, depth=3, limit=3000)
g = analytics.to_networkx(sub.nodes, sub.edges)
print(g.number_of_nodes(), "nodes", g.number_of_edges(), "edges")
for r in analytics.betweenness(g, top=5, labels=["PartyOrg"]):
    print(f"{r['score']:.3f}", r["name"])'''),
    new_code_cell('''for r in analytics.articulation_points(g, labels=["PartyOrg"])[:5]:
    print(r["name"], "cuts off", r["cut_off"], "nodes in", r["pieces"], "pieces")'''),
    new_code_cell("engine.close()"),
]

API = [
    new_markdown_cell("# Calling the API from another system / 通过 HTTP API 调用\n\n"
                      "其他系统通过 HTTP 调用 orggraph:覆盖率、空白点(分页、CSV 下载)、实体查询和关联路径。"
                      "先启动服务:`make demo` 或 `orggraph serve`。"),
    new_markdown_cell("## Client / 客户端"),
    new_code_cell('''import os

import httpx

BASE = os.environ.get("ORGGRAPH_API_URL", "http://127.0.0.1:8000")
headers = {"X-API-Key": os.environ["ORGGRAPH_API_KEY"]} if os.environ.get("ORGGRAPH_API_KEY") else {}
client = httpx.Client(base_url=BASE + "/api/v1", headers=headers, timeout=30)
client.get("/health").json()["engine"]'''),
    new_markdown_cell("## Coverage / 覆盖率"),
    new_code_cell('''summary = client.get("/coverage/summary", params={"target": "compound", "level": "district"}).json()
row = summary["rows"][0]
print(row["area_name"], row["total"], "个小区, 组织覆盖率", f"{row['organizational']['rate']:.0%}",
      "工作覆盖率", f"{row['work']['rate']:.0%}")'''),
    new_markdown_cell("## Paging through a gap list / 分页读取空白点"),
    new_code_cell('''def all_rows(path, **params):
    offset, rows = 0, []
    while True:
        page = client.get(path, params={**params, "limit": 4, "offset": offset})
        page.raise_for_status()
        body = page.json()
        rows += body["rows"]
        offset += len(body["rows"])
        if offset >= body["total"] or not body["rows"]:
            return rows

gaps = all_rows("/coverage/gaps", target="compound", mode="organizational")
len(gaps), gaps[0]["name"], gaps[0]["responsible_name"]'''),
    new_code_cell('''csv_text = client.get("/coverage/gaps", params={"format": "csv"}).content.decode("utf-8-sig")
csv_text.splitlines()[0]'''),
    new_markdown_cell("## Errors are problem+json / 错误格式"),
    new_code_cell('''bad = client.get("/coverage/summary", params={"target": "tower"})
bad.status_code, bad.headers["content-type"], bad.json()["errors"][0]["parameter"]'''),
    new_markdown_cell("## Linkage / 关联"),
    new_code_cell('''path = client.get("/paths", params={"source": "htg-01", "target": "org-luohu"}).json()
" — ".join(n.get("name", n["id"]) for n in path["nodes"])'''),
    new_code_cell("client.close()"),
]


def write(name: str, cells: list) -> Path:
    notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                  "language": "python"},
                                                   "language_info": {"name": "python"}})
    path = HERE / name
    nbformat.write(notebook, path)
    return path


if __name__ == "__main__":
    for name, cells in (("coverage_gaps.ipynb", COVERAGE), ("network_exploration.ipynb", NETWORK), ("api_client.ipynb", API)):
        print(write(name, cells))
