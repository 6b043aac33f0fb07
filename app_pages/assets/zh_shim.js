// 连心网: Streamlit's own English, in Chinese. Streamlit offers no setting for the texts of
// its widgets (file uploader, multiselect, input hints, the "page not found" dialog), so this
// small script, served by the app itself (no CDN), rewrites them as they appear.
(function () {
  if (window.__lianxinZh) return;
  window.__lianxinZh = true;
  var EXACT = {
    "Drag and drop file here": "将文件拖到此处",
    "Drag and drop a file here": "将文件拖到此处",
    "Drag and drop files here": "将文件拖到此处",
    "Drag and drop directories here": "将文件夹拖到此处",
    "Browse files": "选择文件",
    "Upload": "选择文件",
    "Add files": "添加文件",
    "Upload directories": "选择文件夹",
    "Select all": "全选",
    "No results": "无匹配项",
    "Choose an option": "请选择",
    "Choose options": "请选择（可多选）",
    "Page not found": "页面不存在",
    "The page that you have requested does not seem to exist. Running the app's main page.":
      "您打开的页面不存在，已转到首页。",
    "Running...": "正在处理…",
    "Stop": "停止",
    "Connecting": "正在连接",
    "Please wait...": "请稍候…",
    "Close": "关闭",
    "Clear all": "全部清除",
    "Copy": "复制",
    "Skip to main content": "跳到正文",
  };
  var PATTERNS = [
    [/^(?:Limit )?([\d.]+)\s?([KMG]?B) per file(.*)$/, function (m, n, u, rest) {
      return "单个文件不超过 " + n + " " + u + rest.replace(" • ", " · 格式 ");
    }],
    [/^Select (\d+) matches$/, function (m, n) { return "选择 " + n + " 个匹配项"; }],
    [/^Add: (.*)$/, function (m, v) { return "添加：" + v; }],
    [/^Press Enter to submit form$/, function () { return "按回车键提交"; }],
    [/^Press Enter to apply$/, function () { return "按回车键确认"; }],
    [/^Press (?:⌘|Ctrl)\+Enter to (?:apply|submit form)$/, function () {
      return "按 Ctrl+回车键 确认";
    }],
    [/^You have requested page \/(.*), but no corresponding file was found in the app's pages\/ directory\. Running the app's main page\.$/,
      function (m, p) { return "您打开的页面“" + p + "”不存在或需要先登录，已转到首页。"; }],
    [/^This app has encountered an error\..*$/, function () {
      return "页面出错了，没有保存任何内容。请刷新页面重试；如仍出现，请联系管理员查看服务器日志。";
    }],
  ];
  var ATTRS = ["placeholder", "aria-label", "title"];

  function translate(text) {
    var key = text.trim();
    if (!key) return null;
    if (Object.prototype.hasOwnProperty.call(EXACT, key)) return text.replace(key, EXACT[key]);
    for (var i = 0; i < PATTERNS.length; i++) {
      var m = key.match(PATTERNS[i][0]);
      if (m) return text.replace(key, PATTERNS[i][1].apply(null, m));
    }
    return null;
  }

  function fixAttrs(el) {
    for (var a = 0; a < ATTRS.length; a++) {
      var v = el.getAttribute && el.getAttribute(ATTRS[a]);
      if (v) {
        var tv = translate(v);
        if (tv !== null && tv !== v) el.setAttribute(ATTRS[a], tv);
      }
    }
  }

  function fixText(node) {
    var p = node.parentNode;
    if (p && (p.tagName === "SCRIPT" || p.tagName === "STYLE" || p.tagName === "CODE")) return;
    var t = translate(node.nodeValue);
    if (t !== null && t !== node.nodeValue) node.nodeValue = t;
  }

  function fixNode(node) {
    if (node.nodeType === 3) return fixText(node);
    if (node.nodeType !== 1) return;
    var tag = node.tagName;
    if (tag === "SCRIPT" || tag === "STYLE" || tag === "CODE" || tag === "PRE") return;
    fixAttrs(node);
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    var n = walker.nextNode();
    while (n) {
      if (n.nodeType === 3) fixText(n);
      else fixAttrs(n);
      n = walker.nextNode();
    }
  }

  fixNode(document.body);
  new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      var r = records[i];
      if (r.type === "characterData") fixText(r.target);
      else if (r.type === "attributes") fixAttrs(r.target);
      else for (var j = 0; j < r.addedNodes.length; j++) fixNode(r.addedNodes[j]);
    }
  }).observe(document.body, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ATTRS,
  });
})();
