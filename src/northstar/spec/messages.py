"""Validation messages in English and Simplified Chinese, keyed by issue code.

Each entry: (message en, message zh, fix en, fix zh); ``{name}``-style fields are filled in by
:func:`make_issue`. Golden tests pin the rendered text in both languages.
"""

from __future__ import annotations

from typing import Any, Literal

from northstar.errors import Issue

MESSAGES: dict[str, tuple[str, str, str | None, str | None]] = {
    "file-missing": (
        "file {path} does not exist",
        "文件 {path} 不存在",
        "check the path, or run 'northstar init' to start a project",
        "请检查路径，或运行 'northstar init' 新建项目",
    ),
    "file-other-suffix": (
        "file {path} does not exist, but {other} does",
        "文件 {path} 不存在，但存在 {other}",
        "rename it to northstar.yml",
        "请把它重命名为 northstar.yml",
    ),
    "yaml-encoding": (
        "{path} is not UTF-8 ({reason})",
        "{path} 不是 UTF-8 编码（{reason}）",
        "save the file as UTF-8",
        "请把文件另存为 UTF-8 编码",
    ),
    "yaml-syntax": (
        "YAML syntax error: {problem}",
        "YAML 语法错误：{problem}",
        "check the indentation and that every 'key: value' has a space after ':'",
        "请检查缩进，以及每个 '键: 值' 的冒号后是否有空格",
    ),
    "yaml-tabs": (
        "YAML syntax error: {problem}",
        "YAML 语法错误：{problem}",
        "YAML does not allow tabs for indentation: use spaces",
        "YAML 不允许用制表符缩进，请改用空格",
    ),
    "duplicate-key": (
        "key {key!r} appears twice in the same mapping (first on line {first})",
        "键 {key!r} 在同一层级出现了两次（第一次在第 {first} 行）",
        "remove or rename one of them",
        "请删除或重命名其中一个",
    ),
    "yaml-shape": (
        "the file must be a mapping of sections",
        "文件内容必须是由各部分组成的映射",
        "start with 'project:', 'sources:', 'metrics:' …",
        "请以 'project:'、'sources:'、'metrics:' 等开头",
    ),
    "include-type": ("include: entries must be file paths", "include: 的每一项都必须是文件路径", None, None),
    "include-missing": (
        "include {pattern!r} matches no file",
        "include {pattern!r} 没有匹配到任何文件",
        "paths are relative to the project file",
        "路径相对于项目文件所在目录",
    ),
    "include-section": (
        "section {section!r} cannot be set in an included file",
        "被包含的文件中不能设置 {section!r} 部分",
        "included files may hold only {allowed}",
        "被包含的文件只能包含 {allowed}",
    ),
    "duplicate-name": (
        "{kind} {name!r} is defined twice (also at {other})",
        "{kind} {name!r} 被定义了两次（另一处在 {other}）",
        "rename or remove one of them",
        "请重命名或删除其中一个",
    ),
    "unknown-key": (
        "unknown key {key!r} in {where}",
        "{where} 中有未知的键 {key!r}",
        "allowed keys: {allowed}",
        "允许的键：{allowed}",
    ),
    "missing-key": ("{where} needs {key!r}", "{where} 缺少 {key!r}", "add '{key}: …'", "请添加 '{key}: …'"),
    "bad-value": ("{where}.{key}: {detail}", "{where}.{key}：{detail_zh}", None, None),
    "bad-name": (
        "{kind} name {name!r} must be letters, digits and single underscores, starting with a letter",
        "名称 {name!r} 只能由文字（中文或字母）、数字和单个下划线组成，并以文字开头",
        "e.g. repurchase_30d",
        "例如 repurchase_30d",
    ),
    "unknown-source": (
        "{owner} {metric!r} reads source {source!r}, which is not defined",
        "{owner_zh} {metric!r} 引用的数据源 {source!r} 未定义",
        "define it under 'sources:' or fix the name",
        "请在 'sources:' 下定义它，或修正名称",
    ),
    "unknown-metric": (
        "{what} refers to metric {metric!r}, which is not defined",
        "{what} 引用的指标 {metric!r} 未定义",
        "define it under 'metrics:' or fix the name",
        "请在 'metrics:' 下定义它，或修正名称",
    ),
    "unknown-column": (
        "metric {metric!r}: column {column!r} is not in source {source!r}",
        "指标 {metric!r}：数据源 {source!r} 中没有列 {column!r}",
        "the source has: {columns}",
        "该数据源的列：{columns}",
    ),
    "unknown-dimension-column": (
        "dimension {dimension!r}: no source has a column {column!r}",
        "维度 {dimension!r}：没有任何数据源含有列 {column!r}",
        "set 'column:' or 'columns: {{source: column}}'",
        "请设置 'column:' 或 'columns: {{数据源: 列}}'",
    ),
    "type-error": (
        "metric {metric!r}: {agg} needs a numeric column, but {column!r} is {kind}",
        "指标 {metric!r}：{agg} 需要数值列，但 {column!r} 是{kind_zh}",
        "use count or count_distinct for text, or pick a numeric column",
        "文本列请用 count 或 count_distinct，或换一个数值列",
    ),
    "bad-expression": (
        "metric {metric!r}: {detail}",
        "指标 {metric!r}：{detail_zh}",
        "filters are SQL-like predicates over the source's columns, e.g. status = 'paid' and amount > 0",
        "过滤条件是针对数据源列的类 SQL 条件，例如 status = 'paid' and amount > 0",
    ),
    "unknown-funnel": (
        "metric {metric!r}: unknown funnel {funnel!r}",
        "指标 {metric!r}：未知的漏斗 {funnel!r}",
        "define it under funnels:, or give the steps here with steps:",
        "请在 funnels: 下定义它，或在这里用 steps: 写出步骤",
    ),
    "unknown-activity": (
        "metric {metric!r}: unknown activity {activity!r}",
        "指标 {metric!r}：未知的活跃定义 {activity!r}",
        "define it under activity:, or name a source with source: (then every row counts)",
        "请在 activity: 下定义它，或用 source: 指定数据源（则每一行都算活跃）",
    ),
    "funnel-unknown-column": (
        "funnel {funnel!r}: column {column!r} ({key}) is not in source {source!r}",
        "漏斗 {funnel!r}：数据源 {source!r} 中没有列 {column!r}（{key}）",
        "the source has: {columns}",
        "该数据源的列：{columns}",
    ),
    "funnel-bad-filter": (
        "funnel {funnel!r}, {part}: {detail}",
        "漏斗 {funnel!r}，{part_zh}：{detail_zh}",
        "filters are SQL-like predicates over the source's columns, e.g. page = '/cart' and amount > 0",
        "过滤条件是针对数据源列的类 SQL 条件，例如 page = '/cart' and amount > 0",
    ),
    "funnel-unknown-event": (
        "{owner} {funnel!r}, {part}: no row of source {source!r} has {column} = {event!r}",
        "{owner_zh} {funnel!r}，{part_zh}：数据源 {source!r} 中没有 {column} = {event!r} 的行",
        "this step can never be reached; check the spelling (events seen: {seen})",
        "这一步永远不会被达到；请检查拼写（已有的事件：{seen}）",
    ),
    "cycle": (
        "metrics depend on each other in a cycle: {cycle}",
        "指标之间存在循环依赖：{cycle}",
        "break the cycle: a formula cannot use itself",
        "请打破循环：公式不能引用自身",
    ),
    "north-star-undefined": (
        "north_star {metric!r} is not a defined metric",
        "北极星指标 {metric!r} 不是已定义的指标",
        "set north_star to one of the metrics",
        "请把 north_star 设为已定义的指标之一",
    ),
    "no-north-star": (
        "the project has no north_star",
        "项目没有设置北极星指标 (north_star)",
        "add 'north_star: <metric>' — the one number the whole team steers by",
        "请添加 'north_star: <指标>'——全队共同追踪的那一个数字",
    ),
    "unknown-team": (
        "metric {metric!r} names team {team!r}, which is not defined",
        "指标 {metric!r} 所属团队 {team!r} 未定义",
        "define it under 'teams:'",
        "请在 'teams:' 下定义它",
    ),
    "source-location": (
        "source {source!r} needs either 'path' (files) or 'url' + 'table' (a database), not both",
        "数据源 {source!r} 需要 'path'（文件）或 'url' + 'table'（数据库）之一，且不能同时设置",
        None,
        None,
    ),
    "source-no-files": (
        "source {source!r}: no file matches {path!r} (relative to {folder})",
        "数据源 {source!r}：没有文件匹配 {path!r}（相对于 {folder}）",
        "check the path; globs such as data/*.csv are allowed",
        "请检查路径；可以使用 data/*.csv 这样的通配符",
    ),
    "source-files": ("source {source!r}: {detail}", "数据源 {source!r}：{detail}", None, None),
    "source-unreadable": (
        "source {source!r} cannot be read: {detail}",
        "数据源 {source!r} 无法读取：{detail}",
        None,
        None,
    ),
    "time-column": (
        "source {source!r}: time column {column!r} is not in the data",
        "数据源 {source!r}：数据中没有时间列 {column!r}",
        "the source has: {columns}",
        "该数据源的列：{columns}",
    ),
    "entity-column": (
        "source {source!r}: entity column {column!r} is not in the data",
        "数据源 {source!r}：数据中没有实体列 {column!r}",
        "the source has: {columns}",
        "该数据源的列：{columns}",
    ),
    "needs-entity": (
        "metric {metric!r}: {type} needs an entity: set 'column:' or the source's 'entity:'",
        "指标 {metric!r}：{type} 需要实体列：请设置 'column:' 或数据源的 'entity:'",
        None,
        None,
    ),
    "bad-formula": (
        "metric {metric!r}: {detail}",
        "指标 {metric!r}：{detail_zh}",
        "a formula is arithmetic over other metrics, e.g. revenue / orders",
        "公式是对其他指标的四则运算，例如 revenue / orders",
    ),
    "driver-unknown-metric": (
        "driver {name!r}: there is no metric {name!r} to decompose",
        "驱动因素 {name!r}：没有名为 {name!r} 的指标可以拆解",
        "each key under 'drivers:' is a metric defined under 'metrics:'",
        "'drivers:' 下的每个键都必须是 'metrics:' 中定义的指标",
    ),
    "driver-empty": (
        "driver {name!r} says neither what {name!r} equals (formula:) nor over which dimension it adds up (over:)",
        "驱动因素 {name!r} 既没有公式（formula:），也没有按哪个维度相加（over:）",
        "write e.g. '{name}: visitors * conversion_rate * aov' or '{name}: {{over: channel}}'",
        "例如写 '{name}: visitors * conversion_rate * aov' 或 '{name}: {{over: channel}}'",
    ),
    "driver-unknown-dimension": (
        "driver {name!r}: over {dimension!r}, which is not a dimension",
        "驱动因素 {name!r}：over 的 {dimension!r} 不是已定义的维度",
        "use a dimension defined under 'dimensions:'",
        "请使用 'dimensions:' 中定义的维度",
    ),
    "driver-formula": (
        "driver {name!r}: {detail}",
        "驱动因素 {name!r}：{detail_zh}",
        "a driver formula uses metric names, numbers, + - * / and parentheses",
        "驱动公式只能使用指标名、数字、+ - * / 和括号",
    ),
    "driver-self": (
        "driver {name!r}: the formula uses {name!r} itself",
        "驱动因素 {name!r}：公式里用到了 {name!r} 本身",
        "write {name!r} in terms of other metrics",
        "请用其他指标来表示 {name!r}",
    ),
    "driver-cycle": (
        "drivers loop: {path}",
        "驱动因素形成循环：{path}",
        "a metric cannot be among its own drivers; remove one link of the loop",
        "指标不能是它自己的驱动因素；请去掉循环中的一环",
    ),
    "watch-unknown-channel": (
        "watch rule {name!r} notifies {channel!r}, which is not under 'notify:'",
        "监控规则 {name!r} 要通知的 {channel!r} 不在 'notify:' 中",
        "define the channel under 'notify:' (type: slack, feishu, dingtalk, wecom, webhook or email)",
        "请在 'notify:' 下定义该通道（type：slack、feishu、dingtalk、wecom、webhook 或 email）",
    ),
    "notify-entry": (
        "notification channel {name!r}: {detail}",
        "通知通道 {name!r}：{detail}",
        "see docs/spec.md, Watch rules, for each type's keys; write secrets as ${{ENV_VAR}}",
        "各类型的键见 docs/spec.md 的 Watch rules；密钥请写成 ${{ENV_VAR}}",
    ),
    "goal-unknown-item": (
        "scorecard {name!r}: {item!r} is neither a metric nor a scorecard",
        "计分卡 {name!r}：{item!r} 既不是指标也不是计分卡",
        "use a metric defined under 'metrics:' or another scorecard's name",
        "请使用 'metrics:' 中定义的指标，或另一张计分卡的名称",
    ),
    "goal-weights-sum": (
        "scorecard {name!r}: the weights from {start} add up to {total}, not 100 %",
        "计分卡 {name!r}：自 {start} 起的权重合计为 {total}，不是 100%",
        "make the weights of each set add up to 100 %",
        "请让每组权重合计为 100%",
    ),
    "goal-weight-max": (
        "scorecard {name!r}: {item!r} weighs {weight} from {start}, above the card's max_weight {limit}",
        "计分卡 {name!r}：自 {start} 起 {item!r} 的权重为 {weight}，超过了 max_weight {limit}",
        "lower its weight or raise max_weight",
        "请降低其权重，或调高 max_weight",
    ),
    "goal-scorecard-loop": (
        "scorecards roll up in a loop: {path}",
        "计分卡汇总形成循环：{path}",
        "a scorecard cannot include itself; remove one link of the loop",
        "计分卡不能包含它自己；请去掉循环中的一环",
    ),
    "goal-unknown-team": (
        "scorecard {name!r} is for team {team!r}, which is not defined",
        "计分卡 {name!r} 所属团队 {team!r} 未定义",
        "define it under 'teams:' or fix the name",
        "请在 'teams:' 下定义它，或修正名称",
    ),
    "goal-unweighted": (
        "scorecard {name!r}: {item!r} is under kpis but has no weight in any set",
        "计分卡 {name!r}：{item!r} 列在 kpis 中，但任何一组权重里都没有它",
        "give it a weight, or remove it from kpis",
        "请为它设置权重，或从 kpis 中删除",
    ),
    "goal-no-target": (
        "scorecard {name!r}: metric {item!r} has no targets, so it cannot be scored",
        "计分卡 {name!r}：指标 {item!r} 没有目标值，因此无法计分",
        "add its bands under 'targets:' (northstar target {item} proposes some)",
        "请在 'targets:' 下为它设置目标（northstar target {item} 可给出建议）",
    ),
    "goal-band-order": (
        "targets of {metric!r} for {period}: {detail}",
        "指标 {metric!r} 在 {period} 的目标：{detail_zh}",
        "for a higher-is-better metric write floor ≤ target ≤ stretch; for a lower-is-better one, floor ≥ target ≥ stretch",
        "越高越好的指标应满足 floor ≤ target ≤ stretch；越低越好的指标应满足 floor ≥ target ≥ stretch",
    ),
    "goal-duplicate-period": (
        "targets of {metric!r}: period {period} is given twice (lines {first} and {second})",
        "指标 {metric!r} 的目标：{period} 出现了两次（第 {first} 行和第 {second} 行）",
        "keep one entry per metric and period",
        "每个指标每个周期只保留一条",
    ),
    "goal-kr-direction": (
        "OKR {name!r}: key result on {metric!r} goes from {start} to {target}, the wrong way for a {direction}-is-better metric",
        "OKR {name!r}：指标 {metric!r} 的关键结果从 {start} 到 {target}，与该指标“越{direction_zh}越好”的方向相反",
        "swap start and target, or check the metric's direction",
        "请交换 start 与 target，或检查该指标的 direction",
    ),
    "yaml-bad-date": (
        "{token!r} is not a day of the calendar",
        "{token!r} 不是日历上存在的日期",
        "write a real day (YYYY-MM-DD), e.g. the last day of that month",
        "请写一个存在的日期（YYYY-MM-DD），例如该月的最后一天",
    ),
    "lead-unknown-source": (
        "lead set {name!r} reads source {source!r}, which is not defined",
        "线索集 {name!r} 读取的数据源 {source!r} 未定义",
        "define it under 'sources:' (a CSV, Excel file or database table of leads) or fix the name",
        "请在 'sources:' 下定义它（线索的 CSV、Excel 文件或数据库表），或修正名称",
    ),
    "lead-set-name": (
        "lead set {name!r} has the name of a source; a lead set becomes a source of its name",
        "线索集 {name!r} 与某个数据源同名；线索集会成为同名的数据源",
        "give the lead set another name, e.g. {name}_screened",
        "请为线索集换个名字，例如 {name}_screened",
    ),
    "lead-reason-twice": (
        "lead set {name!r}: reason code(s) {codes} given twice",
        "线索集 {name!r}：原因代码 {codes} 重复",
        "give each reason its own code",
        "每个原因使用不同的代码",
    ),
    "lead-data": (
        "lead set {name!r}: {detail}",
        "线索集 {name!r}：{detail_zh}",
        "fix the lead source or the ratings file, then run northstar check again",
        "请修正线索数据源或评分文件，然后重新运行 northstar check",
    ),
    "watch-unknown-metric": (
        "watch rule {name!r} watches {metric!r}, which is not a metric",
        "监控规则 {name!r} 监控的 {metric!r} 不是已定义的指标",
        "use a metric defined under 'metrics:'",
        "请使用 'metrics:' 中定义的指标",
    ),
    "watch-unknown-dimension": (
        "watch rule {name!r}: by {dimension!r}, which is not a dimension",
        "监控规则 {name!r}：by 的 {dimension!r} 不是已定义的维度",
        "use a dimension defined under 'dimensions:'",
        "请使用 'dimensions:' 中定义的维度",
    ),
    "retention-unknown-source": (
        "retention {name!r} reads source {source!r}, which is not defined",
        "留存定义 {name!r} 引用的数据源 {source!r} 未定义",
        "define it under 'sources:' or fix the name",
        "请在 'sources:' 下定义它，或修正名称",
    ),
    "retention-no-entity": (
        "retention {name!r}: source {source!r} has no entity to follow",
        "留存定义 {name!r}：数据源 {source!r} 没有可追踪的实体",
        "set 'count_by:' or the source's 'entity:'",
        "请设置 'count_by:' 或数据源的 'entity:'",
    ),
    "retention-column": (
        "retention {name!r}: {what} column {column!r} is not in source {source!r}",
        "留存定义 {name!r}：数据源 {source!r} 中没有{what_zh}列 {column!r}",
        "the source has: {columns}",
        "该数据源的列：{columns}",
    ),
    "retention-measure-type": (
        "retention {name!r}: the measure sums {column!r}, which is {kind}, not a number",
        "留存定义 {name!r}：度量要对 {column!r} 求和，但它是{kind_zh}，不是数值",
        "pick a numeric column, or use measure: {{type: count}} to count return rows",
        "请换一个数值列，或用 measure: {{type: count}} 统计回访行数",
    ),
    "repeat-option": (
        "metric {metric!r}: {key!r} applies to repeat_rate metrics only, not {type}",
        "指标 {metric!r}：{key!r} 只适用于 repeat_rate 指标，不适用于 {type}",
        "remove it, or make the metric type: repeat_rate",
        "请删除它，或把指标类型改为 repeat_rate",
    ),
    "repeat-gap": (
        "metric {metric!r}: min_gap ({gap}) must be shorter than within ({within})",
        "指标 {metric!r}：min_gap（{gap}）必须短于 within（{within}）",
        "e.g. min_gap: 1h with within: 30d",
        "例如 min_gap: 1h 配合 within: 30d",
    ),
    "activity-unknown-source": (
        "activity {name!r} reads source {source!r}, which is not defined",
        "活跃定义 {name!r} 引用的数据源 {source!r} 未定义",
        "define it under 'sources:' or fix the name",
        "请在 'sources:' 下定义它，或修正名称",
    ),
    "activity-unknown-column": (
        "activity {name!r}: column {column!r} is not in source {source!r}",
        "活跃定义 {name!r}：数据源 {source!r} 中没有列 {column!r}",
        "the source has: {columns}",
        "该数据源的列：{columns}",
    ),
    "activity-no-entity": (
        "activity {name!r}: source {source!r} has no entity, so there is no one to count",
        "活跃定义 {name!r}：数据源 {source!r} 没有 entity，无法统计活跃对象",
        "set 'count_by:' or the source's 'entity:'",
        "请设置 'count_by:' 或数据源的 'entity:'",
    ),
    "activity-bad-filter": (
        "activity {name!r}: {detail}",
        "活跃定义 {name!r}：{detail_zh}",
        "filters are SQL-like predicates over the source's columns, e.g. event_name != 'page_view'",
        "过滤条件是针对数据源列的类 SQL 条件，例如 event_name != 'page_view'",
    ),
    "influence-unknown-metric": (
        "driver entry {name!r}: influenced_by names {metric!r}, which is not a metric",
        "驱动因素 {name!r}：influenced_by 中的 {metric!r} 不是已定义的指标",
        "list metrics defined under 'metrics:'",
        "请列出 'metrics:' 中定义的指标",
    ),
    "influence-self": (
        "driver entry {name!r} lists itself in influenced_by",
        "驱动因素 {name!r} 把自己列在了 influenced_by 中",
        "list the metrics believed to move {name!r}, not {name!r} itself",
        "请列出被认为会影响 {name!r} 的其他指标，而不是它自己",
    ),
    "kpi-no-path": (
        "team {team!r}: {count} {kpis} {has} no path to the north star {north_star!r}: {names}",
        "团队 {team!r} 有 {count} 个指标与北极星指标 {north_star!r} 之间没有任何路径：{names_zh}",
        "add each to a driver formula or to influenced_by of a metric on the north star's tree, "
        "or drop it from the team's KPIs",
        "请把每个指标加入某个驱动公式，或加入北极星指标树上某个指标的 influenced_by，或把它从团队指标中移除",
    ),
}

KIND_ZH = {
    "text": "文本",
    "timestamp": "时间戳",
    "date": "日期",
    "boolean": "布尔值",
    "other": "其他类型",
    "number": "数值",
}


def make_issue(
    code: str,
    file: str | None,
    line: int | None,
    *,
    level: Literal["error", "warning"] = "error",
    suggestions: tuple[str, ...] = (),
    **fields: Any,
) -> Issue:
    en, zh, fix_en, fix_zh = MESSAGES[code]
    fields.setdefault("detail_zh", fields.get("detail", ""))
    if "kind" in fields and "kind_zh" not in fields:
        fields["kind_zh"] = KIND_ZH.get(str(fields["kind"]), str(fields["kind"]))
    return Issue(
        level=level,
        code=code,
        message=en.format(**fields),
        message_zh=zh.format(**fields),
        fix=fix_en.format(**fields) if fix_en else None,
        fix_zh=fix_zh.format(**fields) if fix_zh else None,
        file=file,
        line=line,
        suggestions=suggestions,
    )
