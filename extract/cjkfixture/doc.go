package cjkfixture

import "strings"

// Report is a four-page Chinese report laid out like the documents of
// issue 14: most text in an intact font, and on some pages the headings
// (page 2) or the whole page (page 3) in the broken one.
func Report() []Page {
	return []Page{
		{
			{Text: "第一章 太阳能发电概述", Heading: true},
			{Text: "太阳能是地球上最丰富的可再生能源。光伏电池把阳光直接转换为电能，" +
				"不需要燃料，也不产生废气。近十年来，光伏组件的价格下降了将近九成，" +
				"许多国家的新增发电容量中，太阳能已经占到一半以上。"},
			{Text: "本报告介绍光伏系统的基本原理、主要部件、并网方式以及运行维护中的常见问题，" +
				"并用实际数据说明日照时间、组件倾角和温度对发电量的影响。"},
		},
		{
			{Text: "第二章 系统组成", Heading: true, Bad: true},
			{Text: "一套并网光伏系统由光伏组件、逆变器、支架、电缆和监控设备组成。" +
				"组件产生直流电，逆变器把直流电变成与电网同步的交流电。" +
				"监控设备记录每一路组串的电压和电流，发现遮挡、灰尘或者故障时及时报警。"},
			{Text: "第三节 逆变器的选择", Heading: true, Bad: true},
			{Text: "逆变器的额定功率一般取组件总功率的八成到一倍之间。" +
				"组串式逆变器适合屋顶电站，集中式逆变器适合大型地面电站。"},
		},
		{
			{Text: "第三章 运行与维护", Heading: true, Bad: true},
			{Text: "光伏电站的维护工作主要包括定期清洗组件、检查电缆接头、" +
				"测量绝缘电阻以及更换损坏的部件。在多风沙的地区，" +
				"清洗周期应当缩短，否则灰尘会使发电量下降百分之十以上。", Bad: true},
			{Text: "夏季组件温度升高时，输出功率会随之降低，因此安装时应当留出足够的通风空间。", Bad: true},
		},
		{
			{Text: "第四章 结论", Heading: true},
			{Text: "太阳能发电技术已经成熟，成本持续下降。只要设计合理、维护得当，" +
				"一座光伏电站可以稳定运行二十五年以上，为用户提供清洁而可靠的电力。"},
		},
	}
}

// Text is the text of pages as a reader should extract it, pages joined by
// form feeds (the reference for CJK survival).
func Text(pages []Page) string {
	var b strings.Builder
	for i, p := range pages {
		if i > 0 {
			b.WriteByte('\f')
		}
		for j, bl := range p {
			if j > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(bl.Text)
		}
	}
	return b.String()
}
